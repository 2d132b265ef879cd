/**
 * vae-toolkit: variational autoencoders in TypeScript.
 *
 *   const data = loadDataset('mnist');             // computes on the native addon when built, else js
 *   const state = createTrainingState({ ...defaultRunConfig(), model: { ...DEFAULT_VAE_CONFIG, latent: 2 } });
 *   await train(state, data, { epochs: 5, onEpoch: (m) => console.log(m.test_nelbo) });
 *   const { mu } = state.model.encode(x);          // where x sits in latent space
 *   const images = state.model.sample(16, new Random(0));
 *   saveCheckpoint('runs/mine', state);            // creates runs/mine if need be
 *
 * Like every command of the CLI, the library computes on the kernels `--kernels auto` picks;
 * `useKernels('js' | 'native' | 'auto')` before (or between) computations says otherwise.
 */
import type { Kernels as KernelProvider } from './kernels/kernels.js';
import { jsKernels as engineDefault } from './kernels/js.js';
import { kernels as activeKernels, setKernels } from './engine/tensor.js';
import { selectKernels } from './kernels/select.js';
export * from './engine/index.js';
export type { Kernels } from './kernels/kernels.js';
export { jsKernels } from './kernels/js.js';
export {
  KERNEL_CHOICES,
  selectKernels,
  describeKernels,
  type KernelChoice,
  type KernelSelection,
} from './kernels/select.js';
export { useKernels } from './engine/use-kernels.js';
export { loadNativeKernels, type NativeInfo, type NativeKernels, type NativeLoad, type GemmChoice } from './kernels/native.js';
export { Linear, Adam, type AdamOptions, type AdamState, type Parameters, countParameters } from './nn/index.js';
export { Conv2d, ConvTranspose2d, type ConvLayerOptions } from './nn/conv.js';
export { VAE, type Posterior, type LossTerms, type Labels, type ElboOptions, type DecoderOutput } from './vae/model.js';
export {
  DEFAULT_VAE_CONFIG,
  DEFAULT_SIGMA,
  MAX_PARAMETERS,
  LIKELIHOODS,
  ARCHITECTURES,
  CONV_CHANNELS,
  parameterCount,
  validateVaeConfig,
  isContinuous,
  GAUSSIAN_MEANS,
  gaussianMeanOf,
  type GaussianMean,
  type VaeConfig,
  type Likelihood,
  type Architecture,
} from './vae/config.js';
export {
  bernoulliMean,
  bernoulliSample,
  bernoulliNegLogLikelihood,
  gaussianNegLogLikelihood,
  gaussianSample,
  flooredLogvar,
  fixedLogvar,
  gaussianMeanFrom,
  bitsPerDim,
  LOGVAR_FLOOR,
} from './vae/likelihood.js';
export { decodePixels, decodeDisplayMean, clampUnit, type DecodedPixels } from './vae/decoded-pixels.js';
export { describeModel } from './vae/describe.js';
export { MlpEncoder, MlpDecoder, type Encoder, type Decoder } from './vae/networks.js';
export { ConvEncoder, ConvDecoder } from './vae/conv-networks.js';
export {
  objectiveLoss,
  betaTcVaeLoss,
  klWeightAt,
  validateObjective,
  OBJECTIVES,
  MAX_TRAIN_K,
  type ObjectiveConfig,
  type ObjectiveName,
} from './vae/objectives.js';
export { minibatchTotalCorrelation, klDecomposition, type KlDecomposition } from './vae/total-correlation.js';
export { toTorchStateDict, fromTorchStateDict, torchExportProblem, TORCH_NAMES } from './vae/torch-interop.js';
export type { ImageDataset, DataSplits } from './data/dataset.js';
export { subset, valuesPerImage, imageFloats, datasetFloats } from './data/dataset.js';
export type { DataDescription } from './data/dataset.js';
export { loadDataset, type DatasetOptions } from './data/source.js';
export { loadFashionMnist, FASHION_MNIST_DIR, FASHION_MNIST_CLASSES } from './data/fashion-mnist.js';
export { loadImageFolder, resizeArea, decodeImage, type FolderOptions } from './data/folder.js';
export { loadMnist, loadIdxFolder } from './data/mnist.js';
export {
  loadDsprites,
  render as renderDsprite,
  dspritesFactors,
  dspritesFactorsOf,
  factorValue as dspritesFactorValue,
  DSPRITES_FACTORS,
  DSPRITES_FACTOR_SIZES,
  DSPRITES_FACTOR_COLUMNS,
  DSPRITES_SHAPES,
  DSPRITES_GROUND_TRUTH,
  type DspritesFactorIndices,
} from './data/dsprites.js';
export {
  disentanglementScores,
  mutualInformationGap,
  factorVaeScore,
  sapScore,
  sampleFactorCodes,
  DISENTANGLEMENT_LIB_SETTINGS,
  type GroundTruthData,
  type Representation,
  type DisentanglementScores,
  type DisentanglementSettings,
} from './measure/disentanglement.js';
export { modelDisentanglement } from './train/disentanglement.js';
export { readIdxFile } from './data/idx.js';
export { batches, numBatches, type Batch, type BatchOptions, type Binarize } from './data/batches.js';
export {
  DEFAULT_TRAINING_CONFIG,
  defaultRunConfig,
  validateTrainingConfig,
  runData,
  type RunConfig,
  type TrainingConfig,
} from './train/config.js';
export {
  createTrainingState,
  saveCheckpoint,
  loadCheckpoint,
  encodeCheckpoint,
  decodeCheckpoint,
  CHECKPOINT_FILE,
  type TrainingState,
} from './train/checkpoint.js';
export { learningRateAt, LR_SCHEDULES, type LrSchedule, type LrScheduleConfig } from './train/lr-schedule.js';
export { train, DivergedError, TrainingInterrupted, type EpochMetrics, type StepInfo, type TrainOptions } from './train/trainer.js';
export { evaluate, evalBatchOptions, EVAL_SEED, type Evaluation, type EvaluateOptions } from './train/evaluate.js';
export { importanceWeightedNll, MAX_IW_K, type IwEstimate, type IwOptions } from './train/iw-estimate.js';
export { latentStatistics, ACTIVE_UNIT_THRESHOLD, type LatentStatistics } from './train/latent-stats.js';
export { StageProgress, type Stage, type Stages, type StageOptions } from './train/stage-progress.js';
export { checkLabelsFit } from './data/labels.js';
export { appendMetrics, readMetrics, truncateMetrics, METRICS_FILE } from './train/metrics-log.js';
export { encodeSafetensors, decodeSafetensors, type NamedTensor } from './io/safetensors.js';
export { encodeContainer, readContainer, Container, type ContainerKind } from './io/container.js';
export { modelFromTensors } from './vae/from-tensors.js';
export { checkDatasetUnchanged } from './data/fingerprint.js';
export {
  GLYPH_MEASURES,
  PICTURE_MEASURES,
  measureGlyph,
  measurePicture,
  measuresFor,
  type GlyphMeasure,
  type PictureMeasure,
  type MeasureSet,
} from './measure/index.js';
export { encodePng, type PngImage } from './viz/png.js';
export { imageGrid, imageRows, type GrayImage, type GridOptions } from './viz/grid.js';
export { reconstructionFigure } from './viz/figures.js';
export { renderRunFigures, writeRunFigures, posteriorMeans, FIGURE_FILES, type RunFigureInputs, type RunFigures } from './viz/run-figures.js';
export { latentScatterFigure, latentManifoldFigure } from './viz/latent-figures.js';
export { evolutionStripFigure, evolutionGif } from './viz/evolution.js';
export { latentMarginalsFigure } from './viz/marginals.js';
export { lossCurvesFigure } from './viz/loss-curves.js';
export { decoderDensityFigure, type DensityRow } from './viz/decoder-density.js';
export { decoderDistribution, type DecoderDistribution, type PixelDistribution } from './viz/decoder-distribution.js';
export { latentPlane, principalDirections, project, embed, type LatentPlane } from './viz/latent-plane.js';
export { reportHtml, type ReportInput, type ReportFigure } from './viz/report.js';
export { encodeGif, type GifFrame } from './viz/gif.js';
export {
  analyzeFactors,
  ACTIVE_KL_NATS,
  TRAVERSAL_SIGMAS,
  type FactorAnalysis,
  type FactorDimension,
  type FactorDirection,
  type FactorsFile,
  type Traversal,
} from './train/factors.js';
export { partialCorrelations, regressionDirection, type Direction } from './train/partial-correlation.js';
export { encodeDataset, klPerDimension, type EncodedDataset } from './train/posterior.js';
export { renderFactorFiles, factorsJson, type FactorFiles } from './viz/factors-report.js';
export {
  SnapshotRecorder,
  readSnapshots,
  encodeSnapshots,
  decodeSnapshots,
  isSnapshotStep,
  SNAPSHOTS_FILE,
  type LatentSnapshots,
  type LatentSnapshot,
} from './train/snapshots.js';
export { writeFileAtomic } from './io/atomic.js';
export { UserError } from './errors.js';
export { createExplorerServer, listen, shutdown, type ServerOptions, type LiveTraining } from './server/app.js';
export { RunSource } from './server/run-source.js';
export { EventHub } from './server/event-hub.js';
export { TrainingFeed } from './server/training-feed.js';
export { loadWebApp } from './server/static-assets.js';
export { encodeModelPayload, decodeModelPayload, type ModelInfo } from './server/model-payload.js';

/**
 * The kernels `auto` picks, chosen on the first op rather than at import, so a program that
 * only reads files or calls useKernels first never loads the addon. Until then the engine
 * holds a stand-in that makes the choice, installs it, and forwards the call to it.
 */
function autoOnFirstUse(): KernelProvider {
  let chosen: KernelProvider | null = null;
  const choose = (): KernelProvider => {
    if (chosen === null) {
      const selection = selectKernels('auto');
      // The CLI says the same line when auto falls back; a library user deserves it as much.
      if (selection.notice !== null) process.stderr.write(`vae-toolkit: ${selection.notice}\n`);
      chosen = selection.kernels;
      if (activeKernels() === standIn) setKernels(chosen);
    }
    return chosen;
  };
  const standIn = new Proxy({} as KernelProvider, {
    get(_target, key) {
      const provider = choose();
      const value: unknown = Reflect.get(provider, key, provider);
      return typeof value === 'function' ? value.bind(provider) : value;
    },
    has(_target, key) {
      return Reflect.has(choose(), key);
    },
  });
  return standIn;
}

// Only the engine's own default is replaced: a provider chosen before this module ran stays.
if (activeKernels() === engineDefault) setKernels(autoOnFirstUse());
