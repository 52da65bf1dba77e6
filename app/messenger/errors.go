package messenger

import "errors"

// Errors callers branch on (test with errors.Is).
var (
	// ErrProfileExists: Create was asked to make a profile where one is.
	ErrProfileExists = errors.New("messenger: a profile already exists here")
	// ErrNoProfile: Open found no profile.
	ErrNoProfile = errors.New("messenger: no profile here")
	// ErrUnknownHandle: the relay has no account with that handle.
	ErrUnknownHandle = errors.New("messenger: no one has that handle")
	// ErrKeyChanged: a verified contact's identity key changed; sending is
	// blocked until the user verifies the new safety number.
	ErrKeyChanged = errors.New("messenger: contact's safety number changed")
	// ErrBlocked: the contact is blocked.
	ErrBlocked = errors.New("messenger: contact is blocked")
	// ErrSelf: a message to oneself.
	ErrSelf = errors.New("messenger: that is your own handle")
	// ErrNoSuchMessage: no message with that id in this conversation.
	ErrNoSuchMessage = errors.New("messenger: no such message")
)
