/** What every UNet block reads besides its input: SiLU(time embedding) [B, temb] and the text states [B, T, cross_attention_dim]. */
export interface BlockContext<T> {
  readonly tembSilu: T;
  readonly encoderHiddenStates: T;
}

/** The settings every block of one UNet shares. */
export interface SharedBlockOptions {
  readonly tembChannels: number;
  readonly groups: number;
  readonly eps: number;
  readonly useLinearProjection: boolean;
  readonly upcastAttention: boolean;
}
