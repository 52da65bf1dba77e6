package bridge

import (
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// BenchmarkBridgeFrame: one 640×480 frame from WriteVideo to a Go client
// reading it off the socket, per format (Go's share of the bridge's cost).
func BenchmarkBridgeFrame(b *testing.B) {
	for _, f := range []Format{FormatI420, FormatJPEG} {
		b.Run(f.String(), func(b *testing.B) {
			br := startBridge(b)
			c := watchB(b, br, f)
			s := br.Sink("01", StreamRemote)
			defer s.Close()
			pic := testPicture(640, 480, 1)
			b.ResetTimer()
			var bytes int
			for i := range b.N {
				fr := *pic
				fr.Number = uint32(i + 1)
				if err := s.WriteVideo(&fr); err != nil {
					b.Fatal(err)
				}
				_, data, err := c.ReadMessage()
				if err != nil {
					b.Fatal(err)
				}
				bytes += len(data)
			}
			b.ReportMetric(float64(bytes)/float64(b.N)/1024, "KB/frame")
		})
	}
}

// BenchmarkBridgeChromium: headless Chromium draws frames at 30 fps for 3 s
// per mode, at 640×480 and 1280×720; reports WriteVideo → drawn p50, frames
// drawn per second and CPU per frame drawn (Chromium's processes, and this
// Go process: the frame pump plus the bridge).
func BenchmarkBridgeChromium(b *testing.B) {
	for _, size := range [][2]int{{640, 480}, {1280, 720}} {
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			res, _ := chromiumRun{Modes: []string{"i420-webgl", "i420-canvas", "jpeg", "webcodecs-vp8"}, Seconds: 3,
				Width: size[0], Height: size[1], FPS: 30}.run(b)
			for range b.N {
			}
			for _, r := range res {
				if r.Error != "" {
					b.Logf("%s: %s", r.Mode, r.Error)
					continue
				}
				b.ReportMetric(r.DrawnP50, r.Mode+"-drawn-p50-ms")
				b.ReportMetric(float64(r.Frames)/3, r.Mode+"-fps")
				b.ReportMetric(float64(r.BrowserCPUPerFrame.Microseconds())/1000, r.Mode+"-chromium-cpu-ms/frame")
				b.ReportMetric(float64(r.GoCPUPerFrame.Microseconds())/1000, r.Mode+"-go-cpu-ms/frame")
				b.ReportMetric(r.MainMsPerFrame, r.Mode+"-page-main-ms/frame")
			}
		})
	}
}

func watchB(b *testing.B, br *Bridge, f Format) *websocket.Conn {
	b.Helper()
	c := watch(b, br, "01", StreamRemote, f)
	_ = c.SetReadDeadline(time.Time{})
	return c
}
