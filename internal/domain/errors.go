// Package domain holds EpiGuard's vocabulary (SPEC §2): organisation units,
// people, accounts and scopes, with the rules that need no I/O. Every other
// package depends on it; it depends on none of ours.
package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. Each maps to one HTTP status in the web package and to one
// exit code in the CLI.
const (
	EInvalid         = "invalid_input"
	EUnauthenticated = "unauthenticated"
	EForbidden       = "forbidden"
	ENotFound        = "not_found"
	EConflict        = "conflict"
	ERateLimited     = "rate_limited"
	EInternal        = "internal"
)

// FieldError names one input field and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	// Input is the form input the error belongs to, where a page has put
	// the field's label in Field for display; "" when Field is the name.
	Input string `json:"-"`
}

// Error is an application error with a code safe to show to users. Internal
// causes are never put in Message.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, strings.Join(parts, "; "))
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// EInternal for any other non-nil error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EInternal
}

// ErrorMessage returns the user-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorFields returns the field errors carried by err, if any.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Validation collects field errors; its Err is nil when there are none.
type Validation struct {
	Fields []FieldError
}

// Add records that field is wrong for the reason given.
func (v *Validation) Add(field, format string, args ...any) {
	v.Fields = append(v.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns an EInvalid *Error listing the fields, or nil.
func (v *Validation) Err() error {
	if len(v.Fields) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Message: "invalid input", Fields: v.Fields}
}
