/** The parts of a frame a playback client can choose (`fields=` on the handshake, or a `fields` command). */
export const FRAME_FIELDS = ['ohlc', 'orders', 'equity'] as const
export type FrameField = (typeof FRAME_FIELDS)[number]
