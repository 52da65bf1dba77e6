package calls

import (
	"log/slog"
	"os"
)

func init() {
	if os.Getenv("CALLS_DEBUG") != "" {
		debugLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}
