// Command sotto is the desktop app: the Wails shell around app/'s services.
// This file only wires the window, the single-instance lock and the bindings;
// everything else lives in app/ (services) and desktop/ (tray, notifications,
// links; shell.go adapts it to Wails) so tests run it without a window.
package main

import (
	"context"
	"embed"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sotto-im/sotto/app"
	"github.com/sotto-im/sotto/app/messenger"
	"github.com/sotto-im/sotto/calls"
	"github.com/sotto-im/sotto/desktop"
	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	wailsruntime "github.com/wailsapp/wails/v2/pkg/runtime"
)

//go:embed all:frontend/dist
var assets embed.FS

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sotto:", err)
		os.Exit(1)
	}
}

func run() error {
	flags := flag.NewFlagSet("sotto", flag.ContinueOnError)
	profileName := flags.String("profile", os.Getenv("SOTTO_PROFILE"), "profile to open (a-z, 0-9, _)")
	relayURL := flags.String("relay", os.Getenv("SOTTO_RELAY"), "relay offered when creating an account")
	hidden := flags.Bool("hidden", false, "start in the tray (Start minimised uses it at login)")
	showVersion := flags.Bool("version", false, "print the version and exit")
	// Wails' dev build reads its own flags from the same command line.
	flags.String("assetdir", "", "")
	flags.String("devserver", "", "")
	flags.String("frontenddevserverurl", "", "")
	flags.String("loglevel", "", "")
	if err := flags.Parse(os.Args[1:]); err != nil {
		return err
	}
	if *showVersion {
		a := app.NewInfo(app.DefaultProfile, "", nil).About()
		fmt.Printf("sotto %s (%s) %s %s\n", a.Version, a.Commit, a.GoVersion, a.Platform)
		return nil
	}
	profile, err := app.ParseProfile(*profileName)
	if err != nil {
		return err
	}
	dataDir, err := profile.DataDir()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" && runtime.GOOS == "linux" {
		log.Warn("no session D-Bus: the single-instance lock is off, a second launch opens a second window")
	}
	info := app.NewInfo(profile, dataDir, log)

	var (
		ctxMu sync.Mutex
		ctx   context.Context
	)
	windowContext := func() context.Context {
		ctxMu.Lock()
		defer ctxMu.Unlock()
		return ctx
	}
	var sh *shell
	chats := app.NewChats(profile, dataDir, *relayURL, log, func(e messenger.Event) {
		if c := windowContext(); c != nil {
			wailsruntime.EventsEmit(c, app.EventName, e)
		}
		sh.ctl.HandleEvent(e)
	})
	// Positional arguments carry a deep link (Exec=sotto %u); the shell
	// parses them in the first instance only.
	sh, err = newShell(profile, dataDir, chats, windowContext, flags.Args(), log)
	if err != nil {
		return err
	}
	var calls *app.Calls
	calls = app.NewCalls(chats, log, func(v app.CallView) {
		if c := windowContext(); c != nil {
			wailsruntime.EventsEmit(c, app.CallEventName, v)
		}
		// Rings (with Accept and Decline) while the window is hidden, and
		// leaves missed calls behind.
		sh.ctl.CallChanged(v, calls)
	}, app.CallOptions{Media: callMedia(log), ShowVideo: true, BridgeOrigins: devServerOrigins(),
		// Tests on one machine (e2e) call between processes over 127.0.0.1 only.
		LoopbackCandidates: os.Getenv("SOTTO_TEST_LOOPBACK_CALLS") == "1"})
	sh.beforeRun()
	return wails.Run(&options.App{
		Title:     "Sotto",
		Width:     1100,
		Height:    720,
		MinWidth:  720,
		MinHeight: 480,
		// --hidden starts in the tray, unless a link asks to show something.
		StartHidden: desktop.StartHidden(*hidden, flags.Args()),
		AssetServer: &assetserver.Options{
			Assets: assets,
		},
		// OnStartup also runs in a second instance before it hands over and
		// exits (measured on Linux), so it only keeps the context; real start-up
		// work belongs in OnDomReady, which only the first instance reaches.
		OnStartup: func(c context.Context) {
			ctxMu.Lock()
			ctx = c
			ctxMu.Unlock()
		},
		OnDomReady: func(context.Context) {
			sh.domReady()
			releaseStartupGarbage()
		},
		OnBeforeClose: func(context.Context) bool { return sh.ctl.BeforeClose() },
		OnShutdown: func(context.Context) {
			sh.shutdown()
			if err := app.CloseChats(chats); err != nil {
				log.Error("close the profile", "err", err.Error())
			}
			if err := app.CloseCalls(calls); err != nil {
				log.Error("close calls", "err", err.Error())
			}
		},
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId: profile.InstanceID(),
			OnSecondInstanceLaunch: func(d options.SecondInstanceData) {
				// The arguments may carry a deep link: count them, never log them.
				log.Info("second instance handed over", "args", len(d.Args))
				sh.ctl.HandleArgs(d.Args, true)
			},
		},
		Bind:  []any{info, chats, calls, &Dialogs{ctx: windowContext}, sh.ctl.Service()},
		Linux: &linux.Options{ProgramName: "sotto"},
		Mac:   &mac.Options{OnUrlOpen: sh.ctl.HandleURL},
	})
}

// devServerOrigins lets a page served by Wails' dev server (a dev build's
// `devserver` address, loopback only) watch call video too.
func devServerOrigins() []string {
	addr := os.Getenv("devserver")
	host, _, err := net.SplitHostPort(addr)
	if err != nil || (host != "localhost" && host != "127.0.0.1") {
		return nil
	}
	return []string{"http://" + addr}
}

// callMedia chooses what calls capture and play: the devices, or with
// SOTTO_FAKE_MEDIA=1 (demos and UI tests on machines without a camera) a
// frame-numbered test pattern as the camera.
func callMedia(log *slog.Logger) calls.MediaFactory {
	if os.Getenv("SOTTO_FAKE_MEDIA") == "1" {
		return app.FileMedia{VideoIn: "test"}
	}
	return app.NewDeviceMedia(log)
}

// releaseStartupGarbage collects once, a while after the window is up, and
// gives the freed memory back to the OS. Start-up (unlock, the first lists,
// the first page of messages) leaves ~15 MB of garbage that an idle app
// never allocates enough to collect: measured with a 10,000-message chat
// open, the process's PSS drops by 14 MB (bench/memory.sh, docs/MEMORY.md).
func releaseStartupGarbage() {
	time.AfterFunc(15*time.Second, debug.FreeOSMemory)
}
