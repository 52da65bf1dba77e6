// Command sotto is Sotto without a window: the same app/ services the desktop
// UI calls, for scripting, bots and tests.
//
//	sotto version                 print the version and build
//	sotto info [-profile P] [-json]
//	                              print what Settings → About shows
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/sotto-im/sotto/app"
)

const usage = `usage: sotto <command> [flags]

commands:
  version   print the version and build
  info      print the build, profile and data folder (flags: -profile NAME, -json)
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "sotto:", err)
		}
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	switch args[0] {
	case "version":
		about := app.NewInfo(app.DefaultProfile, "", log).About()
		fmt.Fprintf(stdout, "sotto %s (%s) %s %s\n", about.Version, about.Commit, about.GoVersion, about.Platform)
		return nil
	case "info":
		fs := flag.NewFlagSet("info", flag.ContinueOnError)
		fs.SetOutput(stderr)
		profileName := fs.String("profile", os.Getenv("SOTTO_PROFILE"), "profile (a-z, 0-9, _)")
		asJSON := fs.Bool("json", false, "print JSON")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		profile, err := app.ParseProfile(*profileName)
		if err != nil {
			return err
		}
		dir, err := profile.DataDir()
		if err != nil {
			return err
		}
		about := app.NewInfo(profile, dir, log).About()
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(about)
		}
		fmt.Fprintf(stdout, "version   %s\nbuild     %s\nplatform  %s %s\nprofile   %s\ndata      %s\n",
			about.Version, about.Commit, about.Platform, about.GoVersion, about.Profile, about.DataDir)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}
