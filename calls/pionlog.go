package calls

import (
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// pionLogger sends pion's logs to the Manager's logger at debug level (its
// errors at info): pion logs expected events, such as writes after a call
// closed, as errors.
type pionLogger struct{ log *slog.Logger }

func (f pionLogger) NewLogger(scope string) logging.LeveledLogger {
	l := f.log
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return pionScope{l.With("pion", scope)}
}

type pionScope struct{ log *slog.Logger }

func (s pionScope) Trace(string)                   {}
func (s pionScope) Tracef(string, ...any)          {}
func (s pionScope) Debug(msg string)               { s.log.Debug(msg) }
func (s pionScope) Debugf(format string, a ...any) { s.log.Debug(fmt.Sprintf(format, a...)) }
func (s pionScope) Info(msg string)                { s.log.Debug(msg) }
func (s pionScope) Infof(format string, a ...any)  { s.log.Debug(fmt.Sprintf(format, a...)) }
func (s pionScope) Warn(msg string)                { s.log.Debug(msg) }
func (s pionScope) Warnf(format string, a ...any)  { s.log.Debug(fmt.Sprintf(format, a...)) }
func (s pionScope) Error(msg string)               { s.log.Info(msg) }
func (s pionScope) Errorf(format string, a ...any) { s.log.Info(fmt.Sprintf(format, a...)) }
