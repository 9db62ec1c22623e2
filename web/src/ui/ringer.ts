import { useEffect } from 'react';

/**
 * A ring tone made on the spot with Web Audio (no sound files): a double ring for an
 * incoming call, a single long tone while an outgoing call waits.
 */
export function useRinger(kind: 'incoming' | 'outgoing' | null): void {
  useEffect(() => {
    if (!kind || typeof AudioContext === 'undefined') return;
    let ctx: AudioContext;
    try {
      ctx = new AudioContext();
    } catch {
      return;
    }
    const tone = (start: number, length: number, frequencies: number[]) => {
      const gain = ctx.createGain();
      gain.gain.setValueAtTime(0, start);
      gain.gain.linearRampToValueAtTime(0.08, start + 0.03);
      gain.gain.setValueAtTime(0.08, start + length - 0.05);
      gain.gain.linearRampToValueAtTime(0, start + length);
      gain.connect(ctx.destination);
      for (const f of frequencies) {
        const osc = ctx.createOscillator();
        osc.frequency.value = f;
        osc.connect(gain);
        osc.start(start);
        osc.stop(start + length);
      }
    };
    const ring = () => {
      const now = ctx.currentTime;
      if (kind === 'incoming') {
        tone(now, 0.4, [440, 480]);
        tone(now + 0.6, 0.4, [440, 480]);
      } else tone(now, 1.0, [425]);
    };
    ring();
    const timer = setInterval(ring, kind === 'incoming' ? 2500 : 4000);
    return () => {
      clearInterval(timer);
      void ctx.close();
    };
  }, [kind]);
}
