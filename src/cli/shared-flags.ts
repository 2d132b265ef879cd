/** Flags that several commands share, described once. */
export const checkpointFlag = {
  kind: 'string',
  required: true,
  help: 'Run folder (or checkpoint file) written by vae train',
  valueName: 'DIR',
} as const;
