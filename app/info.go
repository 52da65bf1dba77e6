package app

import (
	"log/slog"
	"runtime"
	"sync"
)

// Set at link time by the Makefile: -X github.com/sotto-im/sotto/app.version=….
var (
	version = "dev"
	commit  = "unknown"
)

// About is what Settings → About shows and `sotto info` prints.
type About struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
	Profile   string `json:"profile"`
	DataDir   string `json:"dataDir"`
}

// Info is the service that describes this build and profile, and hears from
// the UI when it has mounted.
type Info struct {
	profile Profile
	dataDir string
	log     *slog.Logger

	readyOnce sync.Once
}

// NewInfo returns the Info service for a profile whose files live in dataDir.
func NewInfo(profile Profile, dataDir string, log *slog.Logger) *Info {
	return &Info{profile: profile, dataDir: dataDir, log: log}
}

// About describes the running build and the profile.
func (i *Info) About() About {
	return About{
		Version:   version,
		Commit:    commit,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
		Profile:   i.profile.String(),
		DataDir:   i.dataDir,
	}
}

// UIReady is called by the UI once it has mounted and talked to the backend.
// It logs "ui ready" once, which the window test waits for.
func (i *Info) UIReady() {
	i.readyOnce.Do(func() {
		i.log.Info("ui ready", "profile", i.profile.String())
	})
}
