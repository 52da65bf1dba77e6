package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sotto-im/sotto/app/content"
	"github.com/sotto-im/sotto/app/messenger"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/relay/api"
	"github.com/sotto-im/sotto/relay/client"
	"github.com/sotto-im/sotto/store"
)

// EventName is the name under which messenger events reach the UI.
const EventName = "sotto:event"

// ErrNotSignedIn: the profile has no account yet (onboarding comes first), or
// it is locked behind a passphrase.
var ErrNotSignedIn = errors.New("not signed in")

// Chats is the messaging service the UI and the CLI call: onboarding,
// conversations, messages, contacts and safety numbers. It owns the profile's
// Messenger and its receive loop.
type Chats struct {
	profile Profile
	dataDir string
	log     *slog.Logger
	emit    func(messenger.Event)
	// DefaultRelay is offered during onboarding (make run sets it).
	defaultRelay string

	mu       sync.Mutex
	m        *messenger.Messenger
	stopRun  context.CancelFunc
	runDone  chan struct{}
	cancelOn context.CancelFunc // a registration in progress
	prefs    Preferences
	// sessions are services that start with a signed-in profile and stop
	// before it closes (calls).
	sessions []sessionHooks
}

type sessionHooks struct {
	start, stop func(*messenger.Messenger)
}

// onSession makes start run whenever a profile is signed in or unlocked,
// and stop before it closes.
func (c *Chats) onSession(start, stop func(*messenger.Messenger)) {
	c.mu.Lock()
	c.sessions = append(c.sessions, sessionHooks{start, stop})
	m := c.m
	c.mu.Unlock()
	if m != nil {
		start(m)
	}
}

// NewChats returns the service for a profile whose files live in dataDir.
// emit receives every event (main.go forwards them to the window).
func NewChats(profile Profile, dataDir, defaultRelay string, log *slog.Logger, emit func(messenger.Event)) *Chats {
	if emit == nil {
		emit = func(messenger.Event) {}
	}
	return &Chats{profile: profile, dataDir: dataDir, defaultRelay: defaultRelay, log: log, emit: emit,
		prefs: DefaultPreferences()}
}

func (c *Chats) config(passphrase string) messenger.Config {
	opts := store.Options{Protection: store.ProtectionAuto}
	if passphrase != "" {
		opts.Passphrase = []byte(passphrase)
	}
	kt, err := messenger.TransparencyFromEnv(os.Getenv)
	if err != nil {
		// A malformed witness setting must not silently turn checks off:
		// require a witness nobody has, so every head is refused and says why.
		c.log.Error("key transparency witness settings", "err", err.Error())
		kt = messenger.TransparencyConfig{RequireWitness: true}
	}
	return messenger.Config{Dir: c.dataDir, Store: opts, Log: c.log, Transparency: kt,
		Events: messenger.EmitterFunc(func(e messenger.Event) { c.emitter()(e) })}
}

// AccountStatus is what the UI needs to decide between onboarding, unlock
// and the main screen.
type AccountStatus struct {
	HasProfile   bool   `json:"hasProfile"`
	SignedIn     bool   `json:"signedIn"`
	Handle       string `json:"handle"`
	DefaultRelay string `json:"defaultRelay"`
	// Relay is the signed-in account's relay address.
	Relay string `json:"relay"`
}

// Status reports whether a profile exists and is open.
func (c *Chats) Status() AccountStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := AccountStatus{DefaultRelay: c.defaultRelay}
	if entries, err := os.ReadDir(c.dataDir); err == nil && len(entries) > 0 {
		st.HasProfile = true
	}
	if c.m != nil {
		st.SignedIn, st.Handle, st.Relay = true, c.m.Handle().String(), c.m.RelayURL()
	}
	return st
}

// HandleCheck is the live feedback on a handle being typed.
type HandleCheck struct {
	Handle  string `json:"handle"`  // normalised
	Problem string `json:"problem"` // empty when the handle can be claimed (as far as known)
	// Availability is "available", "taken", "reserved", or "unknown" (not
	// asked, or the relay did not answer).
	Availability string `json:"availability"`
}

// CheckHandle validates a handle as typed (the relay decides availability
// when it is claimed).
func (c *Chats) CheckHandle(s string) HandleCheck {
	h, err := handle.Parse(s)
	if err != nil {
		return HandleCheck{Problem: handleProblem(err), Availability: "unknown"}
	}
	return HandleCheck{Handle: h.String(), Availability: "unknown"}
}

// CheckHandleAt also asks the relay (relayURL, or the default one) whether
// the handle is still free. The relay hears its hash, not the handle.
func (c *Chats) CheckHandleAt(s, relayURL string) HandleCheck {
	check := c.CheckHandle(s)
	if check.Problem != "" {
		return check
	}
	if relayURL == "" {
		relayURL = c.defaultRelay
	}
	rc, err := client.New(relayURL, nil)
	if err != nil {
		return check
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := rc.Availability(ctx, handle.MustParse(check.Handle))
	switch {
	case err != nil:
		c.log.Warn("handle availability unknown", "err", err.Error())
	case a.Available:
		check.Availability = "available"
	case a.Reason == "reserved":
		check.Availability, check.Problem = "reserved", "That handle is reserved. Choose another."
	default:
		check.Availability, check.Problem = "taken", "Someone already has that handle. Choose another."
	}
	return check
}

func handleProblem(err error) string {
	switch {
	case errors.Is(err, handle.ErrEmpty):
		return "Choose a handle."
	case errors.Is(err, handle.ErrTooShort):
		return fmt.Sprintf("At least %d characters.", handle.MinLen)
	case errors.Is(err, handle.ErrTooLong):
		return fmt.Sprintf("At most %d characters.", handle.MaxLen)
	}
	return "Use only letters a–z, digits and _."
}

// Register creates the account: keys, the encrypted profile, and the handle
// claimed at the relay with a proof of work (which takes a few seconds;
// "proof-of-work" events report attempts against the expected number, for a
// progress bar and an estimate; CancelRegister stops it). passphrase is needed only where no OS keyring is
// reachable.
func (c *Chats) Register(handleText, relayURL, passphrase string) (AccountStatus, error) {
	h, err := handle.Parse(handleText)
	if err != nil {
		return AccountStatus{}, say(err, handleProblem(err))
	}
	if relayURL == "" {
		relayURL = c.defaultRelay
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.mu.Lock()
	if c.m != nil {
		c.mu.Unlock()
		cancel()
		return AccountStatus{}, errors.New("this profile already has an account")
	}
	c.cancelOn = cancel
	c.mu.Unlock()
	defer cancel()
	emit := c.emitter()
	m, err := messenger.Create(ctx, c.config(passphrase), relayURL, h, func(done, total int64) {
		emit(messenger.Event{Kind: messenger.EventProofOfWork, Done: done, Total: total})
	})
	c.mu.Lock()
	c.cancelOn = nil
	c.mu.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			return AccountStatus{}, errors.New("cancelled")
		}
		return AccountStatus{}, userError(err)
	}
	c.start(m)
	return c.Status(), nil
}

// CancelRegister stops a registration in progress.
func (c *Chats) CancelRegister() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancelOn != nil {
		c.cancelOn()
	}
}

// Unlock opens an existing profile (passphrase only when it is protected by
// one) and starts receiving.
func (c *Chats) Unlock(passphrase string) (AccountStatus, error) {
	c.mu.Lock()
	open := c.m != nil
	c.mu.Unlock()
	if open {
		return c.Status(), nil
	}
	m, err := messenger.Open(context.Background(), c.config(passphrase))
	if err != nil {
		return AccountStatus{}, userError(err)
	}
	c.start(m)
	return c.Status(), nil
}

func (c *Chats) start(m *messenger.Messenger) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c.mu.Lock()
	c.m, c.stopRun, c.runDone = m, cancel, done
	c.mu.Unlock()
	if p, err := loadPreferences(ctx, m.Store()); err == nil {
		c.mu.Lock()
		c.prefs = p
		c.mu.Unlock()
	}
	c.mu.Lock()
	hooks := append([]sessionHooks(nil), c.sessions...)
	c.mu.Unlock()
	for _, h := range hooks {
		h.start(m)
	}
	go func() {
		defer close(done)
		if err := m.Run(ctx); err != nil {
			c.log.Error("receiving stopped", "err", err.Error())
		}
	}()
}

// CloseChats stops receiving and closes the profile. It is a function, not a
// method, so that Wails does not offer it to the UI.
func CloseChats(c *Chats) error {
	c.mu.Lock()
	m, stop, done := c.m, c.stopRun, c.runDone
	hooks := append([]sessionHooks(nil), c.sessions...)
	c.m = nil
	c.mu.Unlock()
	if m == nil {
		return nil
	}
	for _, h := range hooks {
		h.stop(m)
	}
	stop()
	<-done
	return m.Close()
}

func (c *Chats) messenger() (*messenger.Messenger, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		return nil, ErrNotSignedIn
	}
	return c.m, nil
}

// UserError is an error whose text is written for the person using Sotto:
// what happened and what to do next. Err is the cause, for errors.Is.
type UserError struct {
	Message string
	Err     error
}

func (e *UserError) Error() string { return e.Message }
func (e *UserError) Unwrap() error { return e.Err }

func say(err error, message string) error { return &UserError{Message: message, Err: err} }

// userError turns an engine error into words for a person: what happened and
// what to do, never blaming them, never leaking internals.
func userError(err error) error {
	for _, w := range userMessages {
		if errors.Is(err, w.err) {
			return say(err, w.message)
		}
	}
	for _, w := range relayMessages {
		if api.HasCode(err, w.code) {
			return say(err, w.message)
		}
	}
	return err
}

// relayMessages are what the relay's refusals mean for the person.
var relayMessages = []struct {
	code    api.Code
	message string
}{
	{api.CodeHandleTaken, "Someone already has that handle. Choose another."},
	{api.CodeHandleConfusable, "That handle looks too much like someone else's. Choose another."},
	{api.CodeHandleReserved, "That handle is reserved. Choose another."},
	{api.CodeRateLimited, "The relay asks us to slow down. Try again in a minute."},
	{api.CodeUnavailable, "The relay is not answering right now. Your message waits and is sent when it is back."},
}

var userMessages = []struct {
	err     error
	message string
}{
	{messenger.ErrNoProfile, "This profile has no account yet: create one first (sotto init, or open the app)."},
	{store.ErrPassphraseRequired, "No keyring is available on this computer: choose a passphrase to protect your messages."},
	{store.ErrWrongPassphrase, "That passphrase does not unlock this profile. Try again."},
	{store.ErrKeyringUnavailable, "The system keyring did not answer. Unlock your desktop's keyring (or sign in again) and try once more."},
	{store.ErrKeyringEntryMissing, "This profile's keys are not in this computer's keyring. Restore it from a backup."},
	{messenger.ErrUnknownHandle, "No one has that handle. Check the spelling with them."},
	{messenger.ErrSelf, "That is your own handle."},
	{messenger.ErrKeyChanged, "The safety number changed. Verify it again to keep talking."},
	{messenger.ErrBlocked, "You blocked this contact. Unblock them to write."},
	{messenger.ErrSafetyMismatch, "Those numbers do not match. Compare them again, digit by digit."},
	{messenger.ErrTooLarge, "Files up to 100 MB can be sent."},
	{store.ErrWrongRecoveryKey, "That recovery key does not open this backup. Check it character by character."},
	{store.ErrCorruptBackup, "The backup file is damaged or incomplete."},
}

// ConversationView is one row of the conversation list.
type ConversationView struct {
	ID          int64  `json:"id"`
	ContactID   int64  `json:"contactId"`
	Handle      string `json:"handle"`
	State       string `json:"state"`        // accepted, request, blocked
	Verified    string `json:"verification"` // unverified, verified, key-changed
	LastMessage string `json:"lastMessage"`
	LastAt      int64  `json:"lastAt"` // unix ms
	Unread      int    `json:"unread"`
	Muted       bool   `json:"muted"`
	TimerSecs   int64  `json:"timerSecs"`
	// KeyChangedAt (unix ms) is when the safety number changed, until the
	// user reviews it (0: no unreviewed change).
	KeyChangedAt int64 `json:"keyChangedAt"`
}

// MessageView is one message as the UI shows it.
type MessageView struct {
	ID        int64          `json:"id"`
	Outgoing  bool           `json:"outgoing"`
	Status    string         `json:"status"`
	Body      string         `json:"body"`
	ReplyTo   int64          `json:"replyTo"`
	SentAt    int64          `json:"sentAt"`
	Edited    bool           `json:"edited"`
	ExpiresAt int64          `json:"expiresAt"`
	Reactions []ReactionView `json:"reactions"`
	// CallLog is set when the message is a call log entry (Body is empty).
	CallLog *CallLogView `json:"callLog"`
}

// CallLogView is a finished call as it appears in the conversation.
type CallLogView struct {
	Outgoing bool  `json:"outgoing"`
	Video    bool  `json:"video"`
	Seconds  int64 `json:"seconds"`
	// Reason is "" for an answered call, else missed, declined, busy,
	// unreachable or failed.
	Reason string `json:"reason"`
}

// callLogText describes a call log entry in words (conversation previews,
// notifications).
func callLogText(m store.Message) string {
	kind := "voice call"
	if m.Call.Video {
		kind = "video call"
	}
	out := m.Direction == store.Outgoing
	switch m.Call.Outcome {
	case store.CallAnswered:
		secs := m.Call.Seconds
		if out {
			return fmt.Sprintf("Outgoing %s, %d:%02d", kind, secs/60, secs%60)
		}
		return fmt.Sprintf("Incoming %s, %d:%02d", kind, secs/60, secs%60)
	case store.CallMissed:
		if out {
			return "Unanswered " + kind
		}
		return "Missed " + kind
	case store.CallDeclined:
		return "Declined " + kind
	case store.CallBusy:
		return "Busy: " + kind + " not answered"
	case store.CallUnreachable:
		return "Could not reach: " + kind
	}
	return "Failed " + kind
}

// ReactionView is one reaction; Mine marks the profile owner's.
type ReactionView struct {
	Emoji string `json:"emoji"`
	Mine  bool   `json:"mine"`
}

func messageView(m store.Message) MessageView {
	v := MessageView{ID: int64(m.ID), Outgoing: m.Direction == store.Outgoing, Status: m.Status.String(),
		Body: m.Body, ReplyTo: int64(m.ReplyTo), SentAt: m.SentAt.UnixMilli(), Edited: !m.EditedAt.IsZero(),
		Reactions: []ReactionView{}}
	if !m.ExpiresAt.IsZero() {
		v.ExpiresAt = m.ExpiresAt.UnixMilli()
	}
	for _, r := range m.Reactions {
		v.Reactions = append(v.Reactions, ReactionView{Emoji: r.Emoji, Mine: r.Sender == 0})
	}
	if c := m.Call; c != nil {
		v.CallLog = &CallLogView{Outgoing: m.Direction == store.Outgoing, Video: c.Video, Seconds: c.Seconds}
		if c.Outcome != store.CallAnswered {
			v.CallLog.Reason = c.Outcome.String()
		}
	}
	return v
}

const unreadScan = 200

// Conversations lists conversations, most recently active first.
func (c *Chats) Conversations() ([]ConversationView, error) {
	m, err := c.messenger()
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	convs, err := m.Store().Conversations(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ConversationView, 0, len(convs))
	for _, conv := range convs {
		v, err := c.conversationView(ctx, m, conv)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (c *Chats) conversationView(ctx context.Context, m *messenger.Messenger, conv store.Conversation) (ConversationView, error) {
	contact, err := m.Store().Contact(ctx, conv.Contact)
	if err != nil {
		return ConversationView{}, err
	}
	state, err := m.State(ctx, contact.ID)
	if err != nil {
		return ConversationView{}, err
	}
	v := ConversationView{ID: int64(conv.ID), ContactID: int64(contact.ID), Handle: contact.Handle, State: state.String(),
		Verified: contact.Verification.String(), LastAt: conv.LastActivity.UnixMilli(), Muted: conv.Muted,
		TimerSecs: int64(conv.DisappearAfter / time.Second)}
	changed, err := m.KeyChangedAt(ctx, contact.ID)
	if err != nil {
		return ConversationView{}, err
	}
	if !changed.IsZero() {
		v.KeyChangedAt = changed.UnixMilli()
	}
	recent, err := m.Store().Messages(ctx, conv.ID, 0, unreadScan)
	if err != nil {
		return ConversationView{}, err
	}
	if len(recent) > 0 {
		v.LastMessage = recent[0].Body
		if recent[0].Call != nil {
			v.LastMessage = callLogText(recent[0])
		}
	}
	for _, msg := range recent {
		if msg.Direction == store.Incoming && msg.Status != store.StatusRead {
			v.Unread++
		}
	}
	return v, nil
}

// StartConversation finds a handle and opens (or creates) the conversation
// with it.
func (c *Chats) StartConversation(handleText string) (ConversationView, error) {
	m, h, err := c.messengerAnd(handleText)
	if err != nil {
		return ConversationView{}, err
	}
	ctx := context.Background()
	contact, err := m.FindContact(ctx, h)
	if err != nil {
		return ConversationView{}, userError(err)
	}
	conv, err := m.Store().EnsureConversation(ctx, contact.ID)
	if err != nil {
		return ConversationView{}, err
	}
	if err := m.SetState(ctx, contact.ID, messenger.StateAccepted); err != nil {
		return ConversationView{}, err
	}
	return c.conversationView(ctx, m, conv)
}

// Messages returns up to limit messages older than before (0: the newest),
// oldest first.
func (c *Chats) Messages(conv, before int64, limit int) ([]MessageView, error) {
	m, err := c.messenger()
	if err != nil {
		return nil, err
	}
	ms, err := m.Store().Messages(context.Background(), store.ConversationID(conv), store.MessageID(before), limit)
	if err != nil {
		return nil, err
	}
	out := make([]MessageView, len(ms))
	for i, msg := range ms {
		out[len(ms)-1-i] = messageView(msg)
	}
	return out, nil
}

// Send sends text in a conversation (replyTo 0: not a reply).
func (c *Chats) Send(conv int64, text string, replyTo int64) (MessageView, error) {
	m, err := c.messenger()
	if err != nil {
		return MessageView{}, err
	}
	ctx := context.Background()
	_, h, err := conversationHandle(ctx, m, conv)
	if err != nil {
		return MessageView{}, err
	}
	msg, err := m.SendText(ctx, h, text, store.MessageID(replyTo))
	if err != nil && msg.ID == 0 {
		return MessageView{}, userError(err)
	}
	if err != nil {
		c.log.Warn("message kept pending", "err", err.Error())
	}
	return messageView(msg), nil
}

// MarkRead marks everything received in the conversation as read (sending
// read receipts when they are on and the conversation is accepted).
func (c *Chats) MarkRead(conv int64) error {
	m, err := c.messenger()
	if err != nil {
		return err
	}
	ctx := context.Background()
	ms, err := m.Store().Messages(ctx, store.ConversationID(conv), 0, unreadScan)
	if err != nil {
		return err
	}
	// The newest unread message: marking it read covers the ones before it
	// (one read receipt for all of them).
	for _, msg := range ms {
		if msg.Direction == store.Incoming && msg.Status != store.StatusRead {
			return userError(m.MarkRead(ctx, msg.ID, c.preferences().ReadReceipts))
		}
	}
	return nil
}

// React sets this account's reaction on a message ("" removes it).
func (c *Chats) React(msg int64, emoji string) error {
	return c.with(func(ctx context.Context, m *messenger.Messenger) error {
		return m.React(ctx, store.MessageID(msg), emoji)
	})
}

// Edit changes one of this account's messages for everyone.
func (c *Chats) Edit(msg int64, text string) error {
	return c.with(func(ctx context.Context, m *messenger.Messenger) error {
		return m.Edit(ctx, store.MessageID(msg), text)
	})
}

// DeleteForEveryone deletes one of this account's messages everywhere.
func (c *Chats) DeleteForEveryone(msg int64) error {
	return c.with(func(ctx context.Context, m *messenger.Messenger) error {
		return m.DeleteForEveryone(ctx, store.MessageID(msg))
	})
}

// Retry sends a failed outgoing message (text or file) again, under the
// same id; the outcome arrives as "status" events.
func (c *Chats) Retry(msg int64) error {
	return c.with(func(ctx context.Context, m *messenger.Messenger) error {
		return userErrorOrNil(m.Retry(ctx, store.MessageID(msg)))
	})
}

// SetTyping tells the contact this account is (not) typing, if typing
// indicators are on.
func (c *Chats) SetTyping(conv int64, typing bool) error {
	if !c.preferences().TypingIndicators {
		return nil
	}
	return c.with(func(ctx context.Context, m *messenger.Messenger) error {
		return m.SetTyping(ctx, store.ConversationID(conv), typing)
	})
}

// SetTimer sets the conversation's disappearing-messages timer (0: off).
func (c *Chats) SetTimer(conv int64, seconds int64) error {
	return c.with(func(ctx context.Context, m *messenger.Messenger) error {
		return m.SetTimer(ctx, store.ConversationID(conv), time.Duration(seconds)*time.Second)
	})
}

// Accept accepts a message request.
func (c *Chats) Accept(conv int64) error { return c.setState(conv, messenger.StateAccepted) }

// Block blocks the conversation's contact.
func (c *Chats) Block(conv int64) error { return c.setState(conv, messenger.StateBlocked) }

func (c *Chats) setState(conv int64, s messenger.ContactState) error {
	return c.with(func(ctx context.Context, m *messenger.Messenger) error {
		cv, err := m.Store().Conversation(ctx, store.ConversationID(conv))
		if err != nil {
			return err
		}
		return m.SetState(ctx, cv.Contact, s)
	})
}

// DeleteConversation deletes a conversation and its messages on this device.
func (c *Chats) DeleteConversation(conv int64) error {
	return c.with(func(ctx context.Context, m *messenger.Messenger) error {
		return m.Store().DeleteConversation(ctx, store.ConversationID(conv))
	})
}

// SearchHit is a message found by Search.
type SearchHit struct {
	Conversation int64       `json:"conversation"`
	Handle       string      `json:"handle"`
	Message      MessageView `json:"message"`
}

// Search finds messages containing every word of query, newest first, in
// one conversation (conv) or all (0).
func (c *Chats) Search(query string, conv int64) ([]SearchHit, error) {
	m, err := c.messenger()
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	res, err := m.Store().Search(ctx, store.SearchQuery{Text: query, Conversation: store.ConversationID(conv), Limit: 50})
	if err != nil {
		return nil, err
	}
	handles := map[store.ConversationID]string{}
	out := make([]SearchHit, 0, len(res.Messages))
	for _, msg := range res.Messages {
		h, ok := handles[msg.Conversation]
		if !ok {
			if cv, err := m.Store().Conversation(ctx, msg.Conversation); err == nil {
				if ct, err := m.Store().Contact(ctx, cv.Contact); err == nil {
					h = ct.Handle
				}
			}
			handles[msg.Conversation] = h
		}
		out = append(out, SearchHit{Conversation: int64(msg.Conversation), Handle: h, Message: messageView(msg)})
	}
	return out, nil
}

// ContactView is the contact panel: handle, safety number and its QR payload.
type ContactView struct {
	Handle       string `json:"handle"`
	Verification string `json:"verification"`
	SafetyNumber string `json:"safetyNumber"` // 60 digits in groups of 5
	QR           string `json:"qr"`           // base64 payload to render as a QR code
	// Transparency: the contact's key was last checked in the relay's
	// transparency log at TransparencySize ("checked at size N"), or
	// TransparencyFailure says what failed (show it until the user acts).
	TransparencyChecked bool   `json:"transparencyChecked"`
	TransparencySize    uint64 `json:"transparencySize"`
	TransparencyFailure string `json:"transparencyFailure,omitempty"`
}

// Transparency is the key-transparency status of a conversation's contact,
// or of the account itself (its own log entries, split views) when conv is
// 0.
func (c *Chats) Transparency(conv int64) (messenger.TransparencyStatus, error) {
	m, err := c.messenger()
	if err != nil {
		return messenger.TransparencyStatus{}, err
	}
	ctx := context.Background()
	if conv == 0 {
		return m.Transparency(ctx, 0)
	}
	_, ct, err := conversationContact(ctx, m, conv)
	if err != nil {
		return messenger.TransparencyStatus{}, err
	}
	return m.Transparency(ctx, ct.ID)
}

// Contact returns the contact panel of a conversation.
func (c *Chats) Contact(conv int64) (ContactView, error) {
	m, err := c.messenger()
	if err != nil {
		return ContactView{}, err
	}
	ctx := context.Background()
	_, ct, err := conversationContact(ctx, m, conv)
	if err != nil {
		return ContactView{}, err
	}
	n, err := m.SafetyNumber(ctx, ct.ID)
	if err != nil {
		return ContactView{}, err
	}
	ts, err := m.Transparency(ctx, ct.ID)
	if err != nil {
		return ContactView{}, err
	}
	return ContactView{Handle: ct.Handle, Verification: ct.Verification.String(), SafetyNumber: n.String(),
		QR: base64.StdEncoding.EncodeToString(n.QR()), TransparencyChecked: ts.Checked, TransparencySize: ts.Size,
		TransparencyFailure: ts.Failure}, nil
}

// Verify marks the conversation's contact verified when digits match the
// safety number (spaces are ignored).
func (c *Chats) Verify(conv int64, digits string) error {
	return c.withContact(conv, func(ctx context.Context, m *messenger.Messenger, id store.ContactID) error {
		return m.Verify(ctx, id, digits)
	})
}

// MarkVerified marks the contact verified after comparing in person.
func (c *Chats) MarkVerified(conv int64) error {
	return c.withContact(conv, func(ctx context.Context, m *messenger.Messenger, id store.ContactID) error {
		return m.MarkVerified(ctx, id)
	})
}

func (c *Chats) withContact(conv int64, f func(context.Context, *messenger.Messenger, store.ContactID) error) error {
	return c.with(func(ctx context.Context, m *messenger.Messenger) error {
		cv, err := m.Store().Conversation(ctx, store.ConversationID(conv))
		if err != nil {
			return err
		}
		return f(ctx, m, cv.Contact)
	})
}

func (c *Chats) with(f func(context.Context, *messenger.Messenger) error) error {
	m, err := c.messenger()
	if err != nil {
		return err
	}
	return userError(f(context.Background(), m))
}

// FindConversation returns the existing conversation with a handle, without
// creating one or accepting it.
func (c *Chats) FindConversation(handleText string) (ConversationView, error) {
	m, h, err := c.messengerAnd(handleText)
	if err != nil {
		return ConversationView{}, err
	}
	ctx := context.Background()
	contact, err := m.Store().ContactByHandle(ctx, h.String())
	if errors.Is(err, store.ErrNotFound) {
		return ConversationView{}, fmt.Errorf("no conversation with @%s yet", h)
	}
	if err != nil {
		return ConversationView{}, err
	}
	conv, err := m.Store().EnsureConversation(ctx, contact.ID)
	if err != nil {
		return ConversationView{}, err
	}
	return c.conversationView(ctx, m, conv)
}

// Message returns one message by id.
func (c *Chats) Message(id int64) (MessageView, error) {
	m, err := c.messenger()
	if err != nil {
		return MessageView{}, err
	}
	msg, err := m.Store().Message(context.Background(), store.MessageID(id))
	if err != nil {
		return MessageView{}, err
	}
	return messageView(msg), nil
}

// ConversationByID returns one conversation's row.
func (c *Chats) ConversationByID(id int64) (ConversationView, error) {
	m, err := c.messenger()
	if err != nil {
		return ConversationView{}, err
	}
	ctx := context.Background()
	conv, err := m.Store().Conversation(ctx, store.ConversationID(id))
	if err != nil {
		return ConversationView{}, err
	}
	return c.conversationView(ctx, m, conv)
}

// DismissKeyChange records that the user reviewed a changed safety number
// (the banner goes; a verified contact still needs verifying again).
func (c *Chats) DismissKeyChange(conv int64) error {
	return c.withContact(conv, func(ctx context.Context, m *messenger.Messenger, id store.ContactID) error {
		return m.DismissKeyChange(ctx, id)
	})
}

// AttachmentView describes a file attached to a message.
type AttachmentView struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	MIME string `json:"mime"`
	Size int64  `json:"size"`
	// Image: a thumbnail can be asked for (Thumbnail).
	Image bool `json:"image"`
}

// SendFile sends the file at path (at most 100 MB) with an optional caption;
// progress arrives as "progress" events.
func (c *Chats) SendFile(conv int64, path, caption string) (MessageView, error) {
	m, err := c.messenger()
	if err != nil {
		return MessageView{}, err
	}
	ctx := context.Background()
	_, h, err := conversationHandle(ctx, m, conv)
	if err != nil {
		return MessageView{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return MessageView{}, say(err, "That file cannot be opened.")
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return MessageView{}, say(err, "Only regular files can be sent.")
	}
	if st.Size() > content.MaxAttachmentSize {
		return MessageView{}, say(messenger.ErrTooLarge, "Files up to 100 MB can be sent.")
	}
	name := filepath.Base(path)
	mimeType := mime.TypeByExtension(filepath.Ext(name))
	if mimeType == "" {
		mimeType = "application/octet-stream"
	}
	// Progress reaches the UI as "progress" events naming the message.
	msg, err := m.SendFile(ctx, h, name, mimeType, f, st.Size(), caption, nil)
	if err != nil && msg.ID == 0 {
		return MessageView{}, userError(err)
	}
	if err != nil {
		// The file is kept: the message stays pending and is sent later.
		c.log.Warn("file message kept pending", "err", err.Error())
	}
	return messageView(msg), nil
}

func userErrorOrNil(err error) error {
	if err == nil {
		return nil
	}
	return userError(err)
}

func (c *Chats) emitter() func(messenger.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.emit
}

// Attachments lists the files of a message.
func (c *Chats) Attachments(msg int64) ([]AttachmentView, error) {
	m, err := c.messenger()
	if err != nil {
		return nil, err
	}
	infos, err := m.Store().Attachments(context.Background(), store.MessageID(msg))
	if err != nil {
		return nil, err
	}
	out := make([]AttachmentView, 0, len(infos))
	for _, a := range infos {
		out = append(out, AttachmentView{ID: int64(a.ID), Name: a.Name, MIME: a.MIME, Size: a.Size, Image: isImage(a.MIME)})
	}
	return out, nil
}

// SaveAttachment decrypts an attachment to path (which must not exist yet).
func (c *Chats) SaveAttachment(id int64, path string) error {
	m, err := c.messenger()
	if err != nil {
		return err
	}
	rc, err := m.Store().OpenAttachment(context.Background(), store.AttachmentID(id))
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return say(err, "The file cannot be saved there (it may already exist).")
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("save attachment: %w", err)
	}
	return f.Close()
}

// conversationHandle returns a conversation and its contact's handle.
func conversationHandle(ctx context.Context, m *messenger.Messenger, conv int64) (store.Conversation, handle.Handle, error) {
	cv, contact, err := conversationContact(ctx, m, conv)
	if err != nil {
		return store.Conversation{}, handle.Handle{}, err
	}
	h, err := handle.Parse(contact.Handle)
	return cv, h, err
}

// conversationContact returns a conversation and its contact.
func conversationContact(ctx context.Context, m *messenger.Messenger, conv int64) (store.Conversation, store.Contact, error) {
	cv, err := m.Store().Conversation(ctx, store.ConversationID(conv))
	if err != nil {
		return store.Conversation{}, store.Contact{}, err
	}
	contact, err := m.Store().Contact(ctx, cv.Contact)
	return cv, contact, err
}

// messengerAnd returns the signed-in messenger and a handle typed by a person
// (its problem in words when it is not one).
func (c *Chats) messengerAnd(handleText string) (*messenger.Messenger, handle.Handle, error) {
	m, err := c.messenger()
	if err != nil {
		return nil, handle.Handle{}, err
	}
	h, err := handle.Parse(handleText)
	if err != nil {
		return nil, handle.Handle{}, say(err, handleProblem(err))
	}
	return m, h, nil
}
