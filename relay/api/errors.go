package api

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is a stable, machine-readable error code. Clients branch on codes,
// never on messages.
type Code string

// The error codes of the relay API. They never change meaning.
const (
	CodeBadRequest         Code = "bad_request"          // malformed body, field or parameter
	CodeTooLarge           Code = "too_large"            // body or field over its limit
	CodeUnknownVersion     Code = "unknown_version"      // path not under a supported version
	CodeNotFound           Code = "not_found"            // unknown handle, device, blob or path
	CodeMethodNotAllowed   Code = "method_not_allowed"   //
	CodeUnauthorized       Code = "unauthorized"         // missing or invalid token
	CodeTokenExpired       Code = "token_expired"        // token past its expiry
	CodeBadSignature       Code = "bad_signature"        // a signature or certificate does not verify
	CodeChallengeInvalid   Code = "challenge_invalid"    // unknown, replayed or expired challenge
	CodePowInvalid         Code = "pow_invalid"          // proof of work does not meet the difficulty
	CodeHandleInvalid      Code = "handle_invalid"       // handle fails handle.Parse
	CodeHandleTaken        Code = "handle_taken"         // handle already registered
	CodeHandleConfusable   Code = "handle_confusable"    // looks like a registered handle
	CodeHandleReserved     Code = "handle_reserved"      // on the relay's reserved list
	CodeDeviceExists       Code = "device_exists"        // device key already registered
	CodeDeliveryDenied     Code = "delivery_denied"      // wrong or missing delivery token
	CodeUnknownSequence    Code = "unknown_sequence"     // ack of a sequence never delivered
	CodeRateLimited        Code = "rate_limited"         // token bucket empty; retry later
	CodeTooManyConnections Code = "too_many_connections" // connection cap reached
	CodeUnavailable        Code = "unavailable"          // store unreachable or feature off
	CodeInternal           Code = "internal"             // a bug or an unexpected failure
)

// Error is the JSON body of every error response and WebSocket error frame.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// RetryAfter is set (seconds) with rate_limited.
	RetryAfter int `json:"retry_after,omitempty"`
	// Status is the HTTP status; not sent (it is the response's status).
	Status int `json:"-"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("relay: %s: %s", e.Code, e.Message)
}

// Is matches errors by code, so errors.Is(err, &api.Error{Code: c}) works.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code
	}
	return false
}

// Errorf returns an *Error with code and a formatted message. The status is
// derived from the code.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: StatusOf(code)}
}

// StatusOf maps a code to its HTTP status.
func StatusOf(c Code) int {
	switch c {
	case CodeBadRequest, CodeHandleInvalid, CodeUnknownSequence:
		return http.StatusBadRequest
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeUnknownVersion, CodeNotFound:
		return http.StatusNotFound
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case CodeUnauthorized, CodeTokenExpired, CodeChallengeInvalid:
		return http.StatusUnauthorized
	case CodeBadSignature, CodePowInvalid, CodeDeliveryDenied, CodeHandleReserved:
		return http.StatusForbidden
	case CodeHandleTaken, CodeHandleConfusable, CodeDeviceExists:
		return http.StatusConflict
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeTooManyConnections, CodeUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// HasCode reports whether err is an *Error with code c.
func HasCode(err error, c Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == c
}
