// Command sotto is Sotto without a window: the same app/ services the desktop
// UI calls, for scripting, bots and tests.
//
//	sotto [--profile NAME|DIR] [--json] COMMAND [ARGS]
//
// The profile's keys are kept in the OS keyring; where there is none, the
// passphrase comes from SOTTO_PASSPHRASE. Run `sotto help` for the commands.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sotto-im/sotto/app"
	"github.com/sotto-im/sotto/app/messenger"
)

const usage = `usage: sotto [--profile NAME|DIR] [--json] <command> [args]

commands:
  init --handle NAME [--relay URL]   create an account and claim @NAME at the relay
  send @NAME TEXT                    send a message
  send-file @NAME PATH [CAPTION]     send a file (up to 100 MB)
  save ATTACHMENT-ID PATH            save a received file (ids are in history --json)
  listen [--for DURATION]            print messages and events as they arrive
  history @NAME                      print the conversation with @NAME
  search WORDS                       search every conversation
  contacts                           list conversations
  safety-number @NAME                print the safety number with @NAME
  verify @NAME NUMBER                mark @NAME verified if NUMBER matches
  call @NAME [CALL FLAGS]            call @NAME; prints the call's states and a summary
  answer [--auto] [CALL FLAGS]       wait for a call and answer it (--auto: without asking)
  info                               print the build, profile and data folder
  version                            print the version

call flags:
  --video                  send video            --for DURATION     hang up after this long connected
  --audio-in FILE.wav      48 kHz mono input     --record-audio FILE.wav   record what arrives
  --video-in test|FILE.y4m video input           --record-video FILE.y4m   record the video that arrives
  --relay-only             only through the relay's TURN (hides your IP from the peer)

environment:
  SOTTO_PASSPHRASE   the profile's passphrase, where no OS keyring is available
  SOTTO_PROFILE      default for --profile
  SOTTO_RELAY        default for init --relay
  SOTTO_KT_WITNESS_KEYS     witnesses whose co-signatures count (comma-separated hex Ed25519 keys)
  SOTTO_KT_REQUIRE_WITNESS  1: refuse key-transparency tree heads no witness co-signed
`

// errUsage marks a command line that cannot run; main prints the usage.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "sotto:", strings.TrimPrefix(err.Error(), "usage: "))
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "sotto:", err)
		os.Exit(1)
	}
}

type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	log            *slog.Logger
	json           bool
	chats          *app.Chats
	info           *app.Info
	// events gets what the receive loop reports; only listen reads it.
	events chan messenger.Event
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	global := flag.NewFlagSet("sotto", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	profileFlag := global.String("profile", os.Getenv("SOTTO_PROFILE"), "")
	asJSON := global.Bool("json", false, "")
	if err := global.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	args = global.Args()
	if len(args) == 0 {
		return fmt.Errorf("%w: no command given", errUsage)
	}
	cmd, rest := args[0], args[1:]
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	profile, dir, err := app.ResolveProfile(*profileFlag)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c := &cli{stdin: os.Stdin, stdout: stdout, stderr: stderr, log: log, json: *asJSON, info: app.NewInfo(profile, dir, log),
		events: make(chan messenger.Event, 1024)}
	c.chats = app.NewChats(profile, dir, os.Getenv("SOTTO_RELAY"), log, func(e messenger.Event) {
		select {
		case c.events <- e:
		default: // nobody is listening, or the listener is far behind
		}
	})
	defer app.CloseChats(c.chats)

	switch cmd {
	case "version":
		a := c.info.About()
		fmt.Fprintf(stdout, "sotto %s (%s) %s %s\n", a.Version, a.Commit, a.GoVersion, a.Platform)
		return nil
	case "info":
		return c.cmdInfo()
	case "init":
		return c.cmdInit(rest)
	}
	commands := map[string]func([]string) error{
		"send":          c.cmdSend,
		"send-file":     c.cmdSendFile,
		"save":          c.cmdSave,
		"listen":        func(a []string) error { return c.cmdListen(ctx, a) },
		"history":       c.cmdHistory,
		"search":        c.cmdSearch,
		"contacts":      c.cmdContacts,
		"safety-number": c.cmdSafetyNumber,
		"verify":        c.cmdVerify,
		"call":          func(a []string) error { return c.cmdCall(ctx, a) },
		"answer":        func(a []string) error { return c.cmdAnswer(ctx, a) },
	}
	f, ok := commands[cmd]
	if !ok {
		return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
	if _, err := c.chats.Unlock(os.Getenv("SOTTO_PASSPHRASE")); err != nil {
		return err
	}
	return f(rest)
}

// print writes v as JSON with --json, or calls text otherwise.
func (c *cli) print(v any, text func(io.Writer)) error {
	if c.json {
		enc := json.NewEncoder(c.stdout)
		return enc.Encode(v)
	}
	text(c.stdout)
	return nil
}

func (c *cli) cmdInfo() error {
	a := c.info.About()
	return c.print(a, func(w io.Writer) {
		fmt.Fprintf(w, "version   %s\nbuild     %s\nplatform  %s %s\nprofile   %s\ndata      %s\n",
			a.Version, a.Commit, a.Platform, a.GoVersion, a.Profile, a.DataDir)
	})
}

func (c *cli) cmdInit(args []string) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	handleName := fs.String("handle", "", "")
	relayURL := fs.String("relay", os.Getenv("SOTTO_RELAY"), "")
	if err := fs.Parse(args); err != nil || *handleName == "" || *relayURL == "" || fs.NArg() != 0 {
		return fmt.Errorf("%w: init needs --handle NAME and --relay URL", errUsage)
	}
	fmt.Fprintln(c.stderr, "Claiming the handle: a proof of work takes a few seconds…")
	st, err := c.chats.Register(*handleName, *relayURL, os.Getenv("SOTTO_PASSPHRASE"))
	if err != nil {
		return err
	}
	return c.print(st, func(w io.Writer) { fmt.Fprintf(w, "You are @%s.\n", st.Handle) })
}

func (c *cli) cmdSend(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("%w: send needs @NAME and TEXT", errUsage)
	}
	conv, err := c.chats.StartConversation(args[0])
	if err != nil {
		return err
	}
	msg, err := c.chats.Send(conv.ID, strings.Join(args[1:], " "), 0)
	if err != nil {
		return err
	}
	return c.print(msg, func(w io.Writer) { fmt.Fprintf(w, "%s to @%s\n", msg.Status, conv.Handle) })
}

func (c *cli) cmdSendFile(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("%w: send-file needs @NAME and PATH", errUsage)
	}
	conv, err := c.chats.StartConversation(args[0])
	if err != nil {
		return err
	}
	msg, err := c.chats.SendFile(conv.ID, args[1], strings.Join(args[2:], " "))
	if err != nil {
		return err
	}
	return c.print(msg, func(w io.Writer) { fmt.Fprintf(w, "%s to @%s\n", msg.Status, conv.Handle) })
}

func (c *cli) cmdSave(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("%w: save needs ATTACHMENT-ID and PATH", errUsage)
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return fmt.Errorf("%w: attachment id must be a number", errUsage)
	}
	if err := c.chats.SaveAttachment(id, args[1]); err != nil {
		return err
	}
	return c.print(map[string]string{"saved": args[1]}, func(w io.Writer) { fmt.Fprintf(w, "saved %s\n", args[1]) })
}

// historyLine is one message of `history --json`, with its files.
type historyLine struct {
	app.MessageView
	Attachments []app.AttachmentView `json:"attachments"`
}

// listenLine is one line of `listen --json`.
type listenLine struct {
	Event   messenger.Event  `json:"event"`
	Handle  string           `json:"handle,omitempty"`
	Message *app.MessageView `json:"message,omitempty"`
}

func (c *cli) cmdListen(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("listen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dur := fs.Duration("for", 0, "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return fmt.Errorf("%w: listen [--for DURATION]", errUsage)
	}
	if *dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *dur)
		defer cancel()
	}
	fmt.Fprintln(c.stderr, "Listening; Ctrl+C stops.")
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-c.events:
			line := listenLine{Event: e}
			if e.Conversation != 0 {
				if conv, err := c.chats.ConversationByID(int64(e.Conversation)); err == nil {
					line.Handle = conv.Handle
				}
			}
			if e.Kind == messenger.EventMessage && e.Message != 0 {
				if m, err := c.chats.Message(int64(e.Message)); err == nil {
					line.Message = &m
				}
			}
			if err := c.print(line, func(w io.Writer) { printEvent(w, line) }); err != nil {
				return err
			}
		}
	}
}

func printEvent(w io.Writer, l listenLine) {
	who := "@" + l.Handle
	switch {
	case l.Message != nil && !l.Message.Outgoing:
		fmt.Fprintf(w, "%s %s: %s\n", time.UnixMilli(l.Message.SentAt).Format("15:04"), who, l.Message.Body)
	case l.Event.Kind == messenger.EventStatus:
		fmt.Fprintf(w, "message %d to %s: %s\n", l.Event.Message, who, l.Event.Status)
	case l.Event.Kind == messenger.EventRequest:
		fmt.Fprintf(w, "%s wants to talk (message request)\n", who)
	case l.Event.Kind == messenger.EventKeyChanged:
		fmt.Fprintf(w, "the safety number with %s changed\n", who)
	}
}

func (c *cli) cmdHistory(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: history needs @NAME", errUsage)
	}
	conv, err := c.chats.FindConversation(args[0])
	if err != nil {
		return err
	}
	msgs, err := c.chats.Messages(conv.ID, 0, 500)
	if err != nil {
		return err
	}
	lines := make([]historyLine, 0, len(msgs))
	for _, m := range msgs {
		atts, err := c.chats.Attachments(m.ID)
		if err != nil {
			return err
		}
		lines = append(lines, historyLine{MessageView: m, Attachments: atts})
	}
	return c.print(lines, func(w io.Writer) {
		for _, m := range lines {
			who := "@" + conv.Handle
			if m.Outgoing {
				who = "me"
			}
			fmt.Fprintf(w, "%s %s: %s", time.UnixMilli(m.SentAt).Format("2006-01-02 15:04"), who, m.Body)
			for _, a := range m.Attachments {
				fmt.Fprintf(w, " [file %d: %s, %d bytes]", a.ID, a.Name, a.Size)
			}
			if m.Outgoing {
				fmt.Fprintf(w, " [%s]", m.Status)
			}
			fmt.Fprintln(w)
		}
	})
}

func (c *cli) cmdSearch(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: search needs WORDS", errUsage)
	}
	hits, err := c.chats.Search(strings.Join(args, " "), 0)
	if err != nil {
		return err
	}
	return c.print(hits, func(w io.Writer) {
		for _, h := range hits {
			fmt.Fprintf(w, "%s @%s: %s\n", time.UnixMilli(h.Message.SentAt).Format("2006-01-02 15:04"), h.Handle, h.Message.Body)
		}
	})
}

func (c *cli) cmdContacts(args []string) error {
	if len(args) != 0 {
		return fmt.Errorf("%w: contacts takes no arguments", errUsage)
	}
	convs, err := c.chats.Conversations()
	if err != nil {
		return err
	}
	return c.print(convs, func(w io.Writer) {
		for _, v := range convs {
			fmt.Fprintf(w, "@%-32s %-9s %-12s %d unread\n", v.Handle, v.State, v.Verified, v.Unread)
		}
	})
}

func (c *cli) cmdSafetyNumber(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: safety-number needs @NAME", errUsage)
	}
	conv, err := c.chats.FindConversation(args[0])
	if err != nil {
		return err
	}
	ct, err := c.chats.Contact(conv.ID)
	if err != nil {
		return err
	}
	return c.print(ct, func(w io.Writer) { fmt.Fprintf(w, "%s (%s)\n", ct.SafetyNumber, ct.Verification) })
}

func (c *cli) cmdVerify(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("%w: verify needs @NAME and NUMBER", errUsage)
	}
	conv, err := c.chats.FindConversation(args[0])
	if err != nil {
		return err
	}
	if err := c.chats.Verify(conv.ID, strings.Join(args[1:], "")); err != nil {
		return err
	}
	return c.print(map[string]string{"verified": conv.Handle}, func(w io.Writer) {
		fmt.Fprintf(w, "@%s is verified.\n", conv.Handle)
	})
}
