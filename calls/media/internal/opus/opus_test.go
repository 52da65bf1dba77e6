package opus

import (
	"math"
	"testing"
)

func tone(n, offset int, hz float64) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*hz*float64(i+offset)/SampleRate))
	}
	return pcm
}

func TestEncodeDecodeFECAndConceal(t *testing.T) {
	enc, err := NewEncoder(EncoderConfig{Bitrate: 32000, FEC: true, DTX: true, ExpectedLossPc: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	out := make([]int16, FrameSamples)
	withFEC := 0
	for i := 0; i < 50; i++ {
		pkt, err := enc.Encode(tone(FrameSamples, i*FrameSamples, 300), make([]byte, MaxPacket))
		if err != nil {
			t.Fatal(err)
		}
		if PacketHasFEC(pkt) {
			withFEC++
		}
		var n int
		switch {
		case i%10 == 9:
			n, err = dec.DecodeFEC(pkt, out)
		case i%10 == 8:
			n, err = dec.Conceal(out)
		default:
			n, err = dec.Decode(pkt, out)
		}
		if err != nil || n != FrameSamples {
			t.Fatalf("frame %d: n=%d err=%v", i, n, err)
		}
	}
	if withFEC == 0 {
		t.Fatal("no packet carried in-band FEC although FEC is on with 10% expected loss")
	}
	if err := enc.SetBitrate(16000); err != nil {
		t.Fatal(err)
	}
	if _, err := dec.Decode([]byte{0xff, 0xff, 0xff}, out); err == nil {
		t.Fatal("garbage packet decoded without error")
	}
}

func TestDTXShrinksSilence(t *testing.T) {
	enc, err := NewEncoder(EncoderConfig{DTX: true})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	small := 0
	for i := 0; i < 50; i++ {
		pkt, err := enc.Encode(make([]int16, FrameSamples), make([]byte, MaxPacket))
		if err != nil {
			t.Fatal(err)
		}
		if len(pkt) <= 2 {
			small++
		}
	}
	if small < 30 {
		t.Fatalf("only %d of 50 silent frames were DTX", small)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{0x78, 0x01, 0x02})
	f.Add([]byte{0xfc, 0xff, 0xfe})
	f.Add([]byte{0x0b})
	dec, err := NewDecoder()
	if err != nil {
		f.Fatal(err)
	}
	out := make([]int16, 5760)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		_, _ = dec.Decode(pkt, out)
		_, _ = dec.DecodeFEC(pkt, out[:FrameSamples])
		_ = PacketHasFEC(pkt)
	})
}
