/** Flags that several commands share, described once. */
export const checkpointFlag = {
  kind: 'string',
  required: true,
  help: 'Run folder (or checkpoint file) written by vae train',
  valueName: 'DIR',
} as const;

export const scaleFlag = { kind: 'int', min: 1, max: 8, default: 2, help: 'Pixels per image pixel in the PNG' } as const;

export const pngOutFlag = { kind: 'string', required: true, help: 'PNG file to write', valueName: 'FILE.png' } as const;
