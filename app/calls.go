package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sotto-im/sotto/app/messenger"
	"github.com/sotto-im/sotto/calls"
	"github.com/sotto-im/sotto/calls/bridge"
	"github.com/sotto-im/sotto/calls/media"
	"github.com/sotto-im/sotto/handle"
	"github.com/sotto-im/sotto/store"
)

// CallEventName is the window event that carries every change of a call (a
// CallView).
const CallEventName = "sotto:call"

// staleSignal: call signals older than this are from calls that have long
// given up ringing (they waited in the relay while this device was off).
const staleSignal = 90 * time.Second

// qualityEvery is how often a connected call's statistics are sampled.
const qualityEvery = 2 * time.Second

// CallOptions configure the Calls service; main.go and the CLI choose.
type CallOptions struct {
	// Media opens each call's sources and sinks; nil means no media
	// (transport only) until device capture is wired.
	Media calls.MediaFactory
	// LoopbackCandidates gathers 127.0.0.1 candidates (tests on one machine).
	LoopbackCandidates bool
	// RingTimeout overrides the 45 s ring timeout (tests).
	RingTimeout time.Duration
	// RelayOnly forces relay-only calls whatever the preference says (the
	// CLI's --relay-only).
	RelayOnly bool
	// ShowVideo starts the loopback media bridge that carries decoded video
	// to the window (WindowMedia around Media); BridgeOrigins are pages
	// allowed besides the app's own (the dev server's).
	ShowVideo     bool
	BridgeOrigins []string
}

// Calls is the voice and video call service the UI and the CLI call. It
// runs a calls.Manager on top of the signed-in profile's Messenger: call
// signaling travels only inside the end-to-end channel.
type Calls struct {
	chats *Chats
	log   *slog.Logger
	emit  func(CallView)
	opts  CallOptions

	events chan calls.Event

	mu     sync.Mutex
	bridge *bridge.Bridge
	mgr    *calls.Manager
	m      *messenger.Messenger
	views  map[calls.CallID]*callTrack
	stop   context.CancelFunc
	done   chan struct{}
}

// callTrack is what the service keeps per call beyond the Manager's
// snapshot: the conversation and the audio counter behind the quality note.
type callTrack struct {
	view        CallView
	audioSeen   uint64
	audioMoved  time.Time
	loggedEnded bool
}

// CallView is one call as the UI shows it.
type CallView struct {
	ID           string `json:"id"`
	Conversation int64  `json:"conversation"`
	Handle       string `json:"handle"`
	Outgoing     bool   `json:"outgoing"`
	Video        bool   `json:"video"`
	RemoteVideo  bool   `json:"remoteVideo"`
	// State is calling, ringing, incoming, connecting, connected,
	// reconnecting or ended.
	State string `json:"state"`
	// EndReason, once ended: hung up, declined, busy, missed, unreachable,
	// no network path, connection lost or "failed: …".
	EndReason   string `json:"endReason"`
	StartedAt   int64  `json:"startedAt"`
	ConnectedAt int64  `json:"connectedAt"`
	Muted       bool   `json:"muted"`
	// Quality is "", good, fair or poor.
	Quality string `json:"quality"`
	Note    string `json:"note"`
}

// NewCalls returns the call service for chats' profile. It starts with the
// profile's Messenger (after sign-in or unlock) and stops with it; emit
// receives every CallView change.
func NewCalls(chats *Chats, log *slog.Logger, emit func(CallView), opts CallOptions) *Calls {
	if emit == nil {
		emit = func(CallView) {}
	}
	c := &Calls{chats: chats, log: log, emit: emit, opts: opts, views: map[calls.CallID]*callTrack{}}
	chats.onSession(c.attach, c.detach)
	return c
}

// attach starts calls for a signed-in profile.
func (c *Calls) attach(m *messenger.Messenger) {
	mediaFactory := c.opts.Media
	if c.opts.ShowVideo {
		br, err := c.videoBridge()
		if err != nil {
			c.log.Error("video bridge unavailable", "err", err.Error())
		} else {
			if mediaFactory == nil {
				mediaFactory = FileMedia{}
			}
			mediaFactory = WindowMedia{Base: mediaFactory, Bridge: br}
		}
	}
	events := make(chan calls.Event, 256)
	mgr, err := calls.NewManager(calls.Config{
		Signaler: calls.SignalerFunc(func(ctx context.Context, peer string, blob []byte) error {
			h, err := handle.Parse(peer)
			if err != nil {
				return fmt.Errorf("call peer: %w", err)
			}
			return m.SendCallSignal(ctx, h, blob)
		}),
		ICEServers:         func(ctx context.Context) ([]webrtc.ICEServer, error) { return c.iceServers(ctx, m) },
		RelayOnly:          func() bool { return c.opts.RelayOnly || c.chats.preferences().RelayCalls },
		Media:              mediaFactory,
		Events:             func(e calls.Event) { c.queue(events, e) },
		LoopbackCandidates: c.opts.LoopbackCandidates,
		RingTimeout:        c.opts.RingTimeout,
		Logger:             c.log,
	})
	if err != nil {
		c.log.Error("calls unavailable", "err", err.Error())
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	c.mu.Lock()
	c.mgr, c.m, c.events, c.stop, c.done = mgr, m, events, stop, done
	c.mu.Unlock()
	m.SetCallHandler(func(ctx context.Context, s messenger.CallSignal) {
		if age := time.Since(s.SentAt); age > staleSignal {
			c.log.Info("stale call signal dropped", "age", age.Round(time.Second).String())
			return
		}
		if err := mgr.HandleSignal(ctx, s.Handle.String(), s.Blob); err != nil {
			c.log.Warn("call signal refused", "err", err.Error())
		}
	})
	go c.run(ctx, done, mgr, m, events)
}

// detach hangs up and stops calls before the profile closes.
func (c *Calls) detach(m *messenger.Messenger) {
	m.SetCallHandler(nil)
	c.mu.Lock()
	mgr, stop, done := c.mgr, c.stop, c.done
	c.mgr, c.m = nil, nil
	c.mu.Unlock()
	if mgr == nil {
		return
	}
	if err := mgr.Close(); err != nil {
		c.log.Warn("calls: close", "err", err.Error())
	}
	stop()
	<-done
}

// queue hands an event to the worker without blocking the call's goroutine
// for long.
func (c *Calls) queue(events chan calls.Event, e calls.Event) {
	select {
	case events <- e:
	case <-time.After(time.Second):
		c.log.Warn("call event dropped: the UI worker is stuck")
	}
}

func (c *Calls) iceServers(ctx context.Context, m *messenger.Messenger) ([]webrtc.ICEServer, error) {
	creds, err := m.TURN(ctx)
	if err != nil {
		if c.opts.RelayOnly || c.chats.preferences().RelayCalls {
			return nil, err
		}
		// Without TURN a direct path may still work (same network).
		c.log.Warn("calls without the relay's TURN", "err", err.Error())
		return nil, nil
	}
	return []webrtc.ICEServer{{URLs: creds.URLs, Username: creds.Username, Credential: creds.Password}}, nil
}

// run turns Manager events into views, the call log and quality notes.
func (c *Calls) run(ctx context.Context, done chan struct{}, mgr *calls.Manager, m *messenger.Messenger, events chan calls.Event) {
	defer close(done)
	tick := time.NewTicker(qualityEvery)
	defer tick.Stop()
	network := networkFingerprint(net.InterfaceAddrs)
	for {
		select {
		case <-ctx.Done():
			// Drain what Close produced (hang-ups), so they reach the log.
			for {
				select {
				case e := <-events:
					c.handle(mgr, m, e)
				default:
					return
				}
			}
		case e := <-events:
			c.handle(mgr, m, e)
		case <-tick.C:
			c.sampleQuality(mgr)
			if now := networkFingerprint(net.InterfaceAddrs); now != network {
				network = now
				c.restartICE(mgr)
			}
		}
	}
}

func (c *Calls) handle(mgr *calls.Manager, m *messenger.Messenger, e calls.Event) {
	info, err := mgr.Info(e.Call)
	if err != nil {
		info = calls.CallInfo{ID: e.Call, Peer: e.Peer, Incoming: e.Incoming, State: e.State, Reason: e.Reason, Err: e.Err}
	}
	info.State, info.Reason, info.Err = e.State, e.Reason, e.Err
	info.RemoteVideo = e.Video // ringing: the caller offers video; later: the peer sends it
	c.mu.Lock()
	t := c.views[e.Call]
	if t == nil {
		t = &callTrack{}
		c.views[e.Call] = t
	}
	c.mu.Unlock()
	if t.view.Conversation == 0 {
		t.view.Conversation = conversationOf(m, e.Peer)
	}
	fillView(&t.view, info)
	if e.State == calls.StateEnded {
		t.view.Quality, t.view.Note = "", ""
	}
	view := t.view
	if e.State == calls.StateEnded && !t.loggedEnded && e.Reason != calls.ReasonMerged {
		t.loggedEnded = true
		c.logCall(m, info)
	}
	if e.State == calls.StateEnded {
		c.mu.Lock()
		delete(c.views, e.Call)
		br := c.bridge
		c.mu.Unlock()
		if br != nil {
			br.EndCall(e.Call.String())
		}
	}
	c.emit(view)
}

// fillView copies a Manager snapshot into v.
func fillView(v *CallView, info calls.CallInfo) {
	v.ID = info.ID.String()
	v.Handle = info.Peer
	v.Outgoing = !info.Incoming
	v.Video = info.LocalVideo
	v.RemoteVideo = info.RemoteVideo
	v.Muted = info.Muted
	v.State = info.State.String()
	if info.Incoming && info.State == calls.StateRinging {
		v.State = "incoming"
	}
	v.StartedAt = unixMilli(info.Started)
	v.ConnectedAt = unixMilli(info.Connected)
	v.EndReason = ""
	if info.State == calls.StateEnded {
		v.EndReason = endReasonText(info.Reason, info.Err)
	}
}

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// endReasonText says in words why a call ended.
func endReasonText(r calls.EndReason, err error) string {
	switch r {
	case calls.ReasonHungUpLocal, calls.ReasonHungUpRemote:
		return "hung up"
	case calls.ReasonDeclinedLocal, calls.ReasonDeclinedRemote:
		return "declined"
	case calls.ReasonFailed:
		if err != nil {
			return "failed: " + err.Error()
		}
		return "failed"
	}
	return r.String()
}

// callOutcome is how the call log records a finished call.
func callOutcome(info calls.CallInfo) store.CallOutcome {
	if !info.Connected.IsZero() {
		return store.CallAnswered
	}
	switch info.Reason {
	case calls.ReasonDeclinedLocal, calls.ReasonDeclinedRemote:
		return store.CallDeclined
	case calls.ReasonBusy:
		return store.CallBusy
	case calls.ReasonUnreachable, calls.ReasonNoNetworkPath:
		return store.CallUnreachable
	case calls.ReasonFailed, calls.ReasonConnectionLost:
		return store.CallFailed
	}
	return store.CallMissed
}

// logCall writes the finished call into the conversation.
func (c *Calls) logCall(m *messenger.Messenger, info calls.CallInfo) {
	h, err := handle.Parse(info.Peer)
	if err != nil {
		return
	}
	entry := store.CallEntry{Video: info.LocalVideo || info.RemoteVideo, Outcome: callOutcome(info)}
	if !info.Connected.IsZero() {
		end := info.Ended
		if end.IsZero() {
			end = time.Now()
		}
		entry.Seconds = int64(end.Sub(info.Connected).Round(time.Second) / time.Second)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := m.CallLogEntry(ctx, h, !info.Incoming, entry, info.Started); err != nil {
		c.log.Warn("call not logged", "err", err.Error())
	}
}

// conversationOf finds the conversation with a call's peer (0 if none).
func conversationOf(m *messenger.Messenger, peer string) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ct, err := m.Store().ContactByHandle(ctx, peer)
	if err != nil {
		return 0
	}
	conv, err := m.Store().EnsureConversation(ctx, ct.ID)
	if err != nil {
		return 0
	}
	return int64(conv.ID)
}

// networkFingerprint names the machine's non-loopback addresses; when it
// changes (Wi-Fi to cable, a VPN, a new lease) calls restart ICE at once
// instead of waiting for the old path to time out.
func networkFingerprint(addrs func() ([]net.Addr, error)) string {
	list, err := addrs()
	if err != nil {
		return ""
	}
	var names []string
	for _, a := range list {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
			names = append(names, ipn.IP.String())
		}
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// restartICE restarts ICE on every call in progress (the network changed).
func (c *Calls) restartICE(mgr *calls.Manager) {
	for _, info := range mgr.Calls() {
		if info.State != calls.StateConnected && info.State != calls.StateReconnecting {
			continue
		}
		c.log.Info("network changed: restarting ICE")
		if err := mgr.RestartICE(info.ID); err != nil {
			c.log.Warn("ICE restart", "err", err.Error())
		}
	}
}

// sampleQuality rates every connected call from its statistics and notes
// when the peer's audio stops arriving.
func (c *Calls) sampleQuality(mgr *calls.Manager) {
	c.mu.Lock()
	var live []calls.CallID
	for id, t := range c.views {
		if t.view.State == "connected" {
			live = append(live, id)
		}
	}
	c.mu.Unlock()
	now := time.Now()
	for _, id := range live {
		st, err := mgr.Stats(id)
		if err != nil {
			continue
		}
		c.mu.Lock()
		t := c.views[id]
		if t == nil {
			c.mu.Unlock()
			continue
		}
		audio := st.Audio.PacketsReceived + st.AudioPacketsDrained
		if audio != t.audioSeen || t.audioMoved.IsZero() {
			t.audioSeen, t.audioMoved = audio, now
		}
		quality, note := rateCall(callSample{rtt: st.RTT, loss: lossRatio(st.Audio), jitter: st.Audio.Jitter,
			bitrate: st.TargetBitrate, video: t.view.Video || t.view.RemoteVideo, audioSilent: now.Sub(t.audioMoved)}), ""
		if now.Sub(t.audioMoved) >= 3*time.Second {
			note = "No audio received from @" + t.view.Handle
		}
		changed := quality != t.view.Quality || note != t.view.Note
		t.view.Quality, t.view.Note = quality, note
		view := t.view
		c.mu.Unlock()
		if changed {
			c.emit(view)
		}
	}
}

// callSample is what a call's quality is judged on.
type callSample struct {
	rtt, jitter time.Duration
	loss        float64 // share of audio packets lost
	bitrate     int     // the bandwidth estimate, bits per second
	video       bool
	audioSilent time.Duration
}

// rateCall turns round trip, loss, jitter, the bandwidth estimate and how
// long audio has been silent into good, fair or poor.
func rateCall(s callSample) string {
	lowBandwidth := s.video && s.bitrate > 0 && s.bitrate < 150_000
	switch {
	case s.audioSilent >= 3*time.Second || s.rtt > 500*time.Millisecond || s.loss > 0.10 || s.jitter > 150*time.Millisecond:
		return "poor"
	case s.audioSilent >= time.Second || s.rtt > 200*time.Millisecond || s.loss > 0.03 || s.jitter > 60*time.Millisecond || lowBandwidth:
		return "fair"
	}
	return "good"
}

// lossRatio is the share of a receiver's packets that never arrived in time.
func lossRatio(s media.ReceiverStats) float64 {
	total := s.PacketsReceived + s.PacketsLost
	if total == 0 {
		return 0
	}
	return float64(s.PacketsLost) / float64(total)
}

// manager returns the running Manager or why there is none.
func (c *Calls) manager() (*calls.Manager, *messenger.Messenger, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mgr == nil {
		return nil, nil, ErrNotSignedIn
	}
	return c.mgr, c.m, nil
}

func parseCallID(id string) (calls.CallID, error) {
	cid, err := calls.ParseCallID(id)
	if err != nil {
		return calls.CallID{}, say(err, "That call is over.")
	}
	return cid, nil
}

// callError turns a calls error into a sentence for people.
func callError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, calls.ErrBusy):
		return say(err, "You are already in a call. Hang up first.")
	case errors.Is(err, calls.ErrUnknownCall):
		return say(err, "That call is over.")
	case errors.Is(err, calls.ErrWrongState):
		return say(err, "That is not possible at this point of the call.")
	case errors.Is(err, calls.ErrClosed):
		return say(err, "Calls have stopped; sign in again.")
	}
	return userError(err)
}

// Start calls the contact of conversation conv, with the camera on when
// video is set.
func (c *Calls) Start(conv int64, video bool) (CallView, error) {
	mgr, m, err := c.manager()
	if err != nil {
		return CallView{}, userError(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, h, err := conversationHandle(ctx, m, conv)
	if err != nil {
		return CallView{}, userError(err)
	}
	id, err := mgr.Call(ctx, h.String(), video)
	if err != nil {
		return CallView{}, callError(err)
	}
	info, err := mgr.Info(id)
	if err != nil {
		return CallView{}, callError(err)
	}
	v := CallView{Conversation: conv}
	fillView(&v, info)
	return v, nil
}

// Accept answers the incoming call id, with the camera on when video is set.
func (c *Calls) Accept(id string, video bool) error {
	return c.withCall(id, func(mgr *calls.Manager, cid calls.CallID) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return mgr.Accept(ctx, cid, video)
	})
}

// Decline refuses the incoming call id.
func (c *Calls) Decline(id string) error {
	return c.withCall(id, func(mgr *calls.Manager, cid calls.CallID) error { return mgr.Decline(cid) })
}

// Hangup ends call id (or stops calling).
func (c *Calls) Hangup(id string) error {
	return c.withCall(id, func(mgr *calls.Manager, cid calls.CallID) error { return mgr.Hangup(cid) })
}

// SetMuted mutes or unmutes the microphone in call id.
func (c *Calls) SetMuted(id string, muted bool) error {
	err := c.withCall(id, func(mgr *calls.Manager, cid calls.CallID) error { return mgr.SetMuted(cid, muted) })
	if err == nil {
		c.refresh(id)
	}
	return err
}

// SetCamera turns the camera on or off in call id.
func (c *Calls) SetCamera(id string, on bool) error {
	err := c.withCall(id, func(mgr *calls.Manager, cid calls.CallID) error { return mgr.SetCamera(cid, on) })
	if err == nil {
		c.refresh(id)
	}
	return err
}

// Active returns the calls in progress.
func (c *Calls) Active() ([]CallView, error) {
	mgr, _, err := c.manager()
	if err != nil {
		return nil, userError(err)
	}
	out := []CallView{}
	for _, info := range mgr.Calls() {
		out = append(out, c.viewOf(info))
	}
	return out, nil
}

func (c *Calls) viewOf(info calls.CallInfo) CallView {
	c.mu.Lock()
	var v CallView
	if t := c.views[info.ID]; t != nil {
		v = t.view
	}
	c.mu.Unlock()
	fillView(&v, info)
	return v
}

// refresh re-emits call id's view after a change the Manager does not
// report as an event (mute, camera).
func (c *Calls) refresh(id string) {
	mgr, _, err := c.manager()
	if err != nil {
		return
	}
	cid, err := calls.ParseCallID(id)
	if err != nil {
		return
	}
	info, err := mgr.Info(cid)
	if err != nil {
		return
	}
	v := c.viewOf(info)
	c.mu.Lock()
	if t := c.views[cid]; t != nil {
		t.view = v
	}
	c.mu.Unlock()
	c.emit(v)
}

func (c *Calls) withCall(id string, f func(*calls.Manager, calls.CallID) error) error {
	mgr, _, err := c.manager()
	if err != nil {
		return userError(err)
	}
	cid, err := parseCallID(id)
	if err != nil {
		return err
	}
	return callError(f(mgr, cid))
}

// CallStatsView is a snapshot of a call's connection, for the call screen's
// details and the CLI's summary.
type CallStatsView struct {
	// Path is "direct" or "relayed" (through TURN), once ICE chose a pair.
	Path          string `json:"path"`
	LocalType     string `json:"localType"`
	RemoteType    string `json:"remoteType"`
	RTTMillis     int64  `json:"rttMillis"`
	TargetBitrate int    `json:"targetBitrate"`
	BytesSent     uint64 `json:"bytesSent"`
	BytesReceived uint64 `json:"bytesReceived"`
	AudioPackets  uint64 `json:"audioPackets"`
	VideoPackets  uint64 `json:"videoPackets"`
	// AudioLoss is the share of audio packets lost (0–1); Concealed and FEC
	// count audio frames made up or rebuilt; VideoFrames counts decoded frames.
	AudioLoss   float64 `json:"audioLoss"`
	Concealed   uint64  `json:"concealed"`
	FEC         uint64  `json:"fec"`
	VideoFrames uint64  `json:"videoFrames"`
	AudioSent   uint64  `json:"audioSent"`
}

// Stats returns call id's connection statistics.
func (c *Calls) Stats(id string) (CallStatsView, error) {
	var v CallStatsView
	err := c.withCall(id, func(mgr *calls.Manager, cid calls.CallID) error {
		st, err := mgr.Stats(cid)
		if err != nil {
			return err
		}
		v = CallStatsView{LocalType: st.LocalCandidate, RemoteType: st.RemoteCandidate, RTTMillis: st.RTT.Milliseconds(),
			TargetBitrate: st.TargetBitrate, BytesSent: st.BytesSent, BytesReceived: st.BytesReceived,
			AudioPackets: st.Audio.PacketsReceived + st.AudioPacketsDrained, VideoPackets: st.Video.PacketsReceived + st.VideoPacketsDrained,
			AudioLoss: lossRatio(st.Audio), Concealed: st.Audio.FramesConcealed, FEC: st.Audio.FramesFEC,
			VideoFrames: st.Video.FramesDecoded, AudioSent: st.AudioFramesSent}
		switch {
		case st.LocalCandidate == "":
		case st.LocalCandidate == "relay" || st.RemoteCandidate == "relay":
			v.Path = "relayed"
		default:
			v.Path = "direct"
		}
		return nil
	})
	return v, err
}

// videoBridge starts the media bridge on first use.
func (c *Calls) videoBridge() (*bridge.Bridge, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bridge != nil {
		return c.bridge, nil
	}
	br, err := bridge.Start(bridge.Config{Origins: c.opts.BridgeOrigins, Logf: func(format string, args ...any) {
		c.log.Info("video bridge: " + fmt.Sprintf(format, args...))
	}})
	if err != nil {
		return nil, fmt.Errorf("start the video bridge: %w", err)
	}
	c.bridge = br
	return br, nil
}

// VideoEndpoint tells the window where to fetch call video: a loopback
// WebSocket URL and the per-launch token it must present.
func (c *Calls) VideoEndpoint() (bridge.Endpoint, error) {
	if !c.opts.ShowVideo {
		return bridge.Endpoint{}, say(errors.New("no video bridge"), "Video is not shown in this window.")
	}
	br, err := c.videoBridge()
	if err != nil {
		return bridge.Endpoint{}, say(err, "Video cannot be shown: the local video service did not start.")
	}
	return br.Endpoint(), nil
}

// CloseCalls stops the video bridge (the calls themselves end with the
// profile). A function, not a method, so the UI is not offered it.
func CloseCalls(c *Calls) error {
	c.mu.Lock()
	br := c.bridge
	c.bridge = nil
	c.mu.Unlock()
	if br == nil {
		return nil
	}
	return br.Close()
}

// DeviceView is one microphone, camera or speaker.
type DeviceView struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"` // microphone, camera or speaker
	Label string `json:"label"`
	// Default marks the system's default device of its kind.
	Default bool `json:"default"`
}

// deviceChooser is media whose devices people pick (DeviceMedia).
type deviceChooser interface {
	Devices() ([]media.Device, error)
	Select(kind media.DeviceKind, id string) error
}

var deviceKinds = map[media.DeviceKind]string{
	media.DeviceAudioInput: "microphone", media.DeviceAudioOutput: "speaker", media.DeviceVideoInput: "camera",
}

// Devices lists the microphones, cameras and speakers calls can use (none
// when calls use files).
func (c *Calls) Devices() ([]DeviceView, error) {
	out := []DeviceView{}
	dc, ok := c.opts.Media.(deviceChooser)
	if !ok {
		return out, nil
	}
	list, err := dc.Devices()
	if err != nil {
		return nil, say(err, "The list of microphones, cameras and speakers is not available.")
	}
	for _, d := range list {
		if k, ok := deviceKinds[d.Kind]; ok {
			out = append(out, DeviceView{ID: d.ID, Kind: k, Label: d.Label, Default: d.Default})
		}
	}
	return out, nil
}

// SetDevice picks the microphone, camera or speaker (kind) with id for
// calls; the call in progress switches at once.
func (c *Calls) SetDevice(kind, id string) error {
	dc, ok := c.opts.Media.(deviceChooser)
	if !ok {
		return say(errors.New("no devices"), "This window's calls do not use devices.")
	}
	var dk media.DeviceKind
	for k, name := range deviceKinds {
		if name == kind {
			dk = k
		}
	}
	if dk == media.DeviceUnknown || len(id) > 1024 {
		return say(fmt.Errorf("device kind %q", kind), "Choose a microphone, camera or speaker.")
	}
	if err := dc.Select(dk, id); err != nil {
		return userError(err)
	}
	mgr, _, err := c.manager()
	if err != nil {
		return nil // no calls yet: the choice applies to the next one
	}
	for _, info := range mgr.Calls() {
		if info.State == calls.StateConnected || info.State == calls.StateReconnecting {
			if err := mgr.SwitchDevices(info.ID); err != nil {
				return callError(err)
			}
		}
	}
	return nil
}
