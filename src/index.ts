/**
 * sentence-tfjs: Sentence Transformers in pure TypeScript on TensorFlow.js.
 *
 * Public entry point. Everything here bundles for browsers: Node built-ins are only reached lazily through
 * src/platform when a file-system function is called. (The CLI is separate: `bin: sentence-tfjs`.)
 */
export { VERSION } from './util/version.js';

// High-level API
export { SentenceTransformer, type EmbeddingRow, type EncodeFn, type InspectedTensor, type SentenceTransformerLoadOptions } from './api/sentence_transformer.js';
export { type ModelResolver } from './api/load_common.js';
export { PRECISIONS, OUTPUT_VALUES, DEFAULT_BATCH_SIZE, type EncodeOptions, type OutputValue, type Precision } from './api/encode_options.js';
export type { CompatMode } from './api/encode_options.js';
export { CrossEncoder, type CrossEncoderLoadOptions, type CrossEncoderPair, type PredictOptions, type RankOptions, type RankResult } from './api/cross_encoder.js';
export { SparseEncoder, type SparseEncoderLoadOptions, type SparseEncodeOptions, type SparsityStats } from './api/sparse_encoder.js';
export { EncodePool, type PoolEncodeOptions, type PoolLoadSpec, type PoolStartOptions } from './api/pool.js';

// util (similarity, search, mining, clustering, quantization, storage)
export * from './util/index.js';
export { loadEmbeddings, loadNpy, saveEmbeddings, saveNpy } from './platform/embeddings_fs.js';

// sentence-transformers modules (for SentenceTransformer.fromModules) and pooling
export * from './pooling/index.js';
export { Transformer, loadTransformerFromDir, loadSequenceClassifierFromDir, type TransformerOptions, type SentenceBertConfig } from './modules/transformer.js';
export { Pooling, parsePoolingConfig, poolingConfigToJSON } from './modules/pooling.js';
export { Dense, type DenseConfigJSON } from './modules/dense.js';
export { Normalize, l2Normalize } from './modules/normalize.js';
export { SpladePooling, spladePool, parseSpladePoolingConfig, type SpladePoolingConfig, type SpladePoolingStrategy, type SpladeActivation } from './modules/splade_pooling.js';
export { MLMTransformer } from './modules/mlm_transformer.js';
export { TokenizerAdapter, type TokenizerAdapterOptions } from './modules/tokenizer_adapter.js';
export { activationFromName, type ActivationFn } from './modules/activations.js';
export {
  MODULE_TYPES,
  SUPPORTED_MODULE_TYPES,
  moduleClass,
  moduleKind,
  loadPipeline,
  savePipeline,
  readModulesJson,
  type ModuleEntryJSON,
  type ModuleKind,
  type LoadedPipeline,
  type SentenceTransformerConfig,
} from './modules/pipeline.js';
export type { Features, PipelineForwardOptions, RequiredFile, SentenceModule, SentenceModuleClass } from './modules/types.js';
export type { ModuleLoadOptions } from './modules/types.js';
export type { EncodedInput, PipelineTokenizer, TokenizedBatch } from './modules/tokenized_batch.js';

// Models (tfjs graphs) and layer inspection types
export {
  createModel,
  createSequenceClassifier,
  createMaskedLM,
  supportedModelTypes,
  BertModel,
  RobertaModel,
  DistilBertModel,
  MPNetModel,
  ModernBertModel,
  SequenceClassifier,
  MaskedLM,
  MaskedLMHead,
  type MaskedLMOutput,
  type BertConfig,
  type RobertaConfig,
  type DistilBertConfig,
  type MPNetConfig,
  type ModernBertConfig,
  type ModernBertLayerType,
} from './models/index.js';
export type { EncoderInputs, EncoderModel, EncoderOutput, ForwardOptions, LoadReport, SequenceClassificationModel } from './models/types.js';

// Weights
export * from './weights/index.js';

// Tokenizers (pure TS, no tfjs)
export {
  Tokenizer,
  Encoding,
  NormalizedString,
  TokenizerConfigError,
  createNormalizer,
  createPreTokenizer,
  createModel as createTokenizerModel,
  createPostProcessor,
  createDecoder,
  type DecodeOptions as TokenizerDecodeOptions,
  type EncodeOptions as TokenizerEncodeOptions,
  type TruncationOptions,
  type PaddingOptions,
  type AddedToken,
  PreTokenizedString,
  type BatchInput,
  type TokenizerParts,
  type Split,
  type Pattern,
  type Decoder,
  type Model as TokenizerModel,
  type Normalizer,
  type Offsets,
  type PaddingParams,
  type PostProcessor,
  type PreTokenizer,
  type SplitDelimiterBehavior,
  type Token,
  type TruncationParams,
  type FromPretrainedOptions,
  type TokenizerConfigInfo,
} from './tokenizers/index.js';

// Backends
export { initBackend, installBackendKernels, defaultDevice, currentBackend, SUPPORTED_DEVICES, type DeviceName, type BackendOptions } from './backends/index.js';
export { installWasmKernels, wasmKernelsActive, wasmKernelsFlavor, disableWasmKernels, enableWasmKernels } from './kernels/index.js';
export { initWebGPU, webgpuAdapterAvailable } from './backends/webgpu.js';
export { initWebGL, webglPrecision } from './backends/webgl.js';
export { MissingPeerError } from './platform/optional_peer.js';
export { configureUrlFiles, clearUrlCache } from './platform/url.js';

// Hub
export * from './hub/index.js';

// Types that appear in the public signatures above (exported so the API reference can link them)
export type { ProgressCallback } from './api/progress.js';
export type { NpyDtype } from './formats/npy.js';
export { ModelConfigError } from './formats/errors.js';
export type { CodePointPredicate, Invert } from './tokenizers/pattern.js';
export type { JSONObject } from './tokenizers/types.js';
export type { EncoderShape, BaseConfig } from './models/types.js';
export type { Activation } from './layers/activations.js';
export type { EnvLike } from './hub/env.js';
export type { WebGLPrecision } from './backends/webgl.js';
export type { UrlCache, UrlFileOptions } from './platform/url.js';
export { CACHED_NO_EXIST } from './hub/cache.js';
export type { Loss, CrossEncoderLoss, EmbeddingBatch, GatherSpec, ModelLossContext } from './losses/types.js';
export type { Evaluator, EvaluationContext } from './evaluation/types.js';

// Evaluators (sentence-transformers v6.0.1 names; each takes a structural model type, see EvaluatorEncoderLike)
export { EmbeddingSimilarityEvaluator, type EmbeddingSimilarityEvaluatorOptions, type EmbeddingPrecision } from './evaluation/embedding_similarity.js';
export { InformationRetrievalEvaluator, type InformationRetrievalEvaluatorOptions, type IRScoreFunction } from './evaluation/information_retrieval.js';
export { BinaryClassificationEvaluator, type BinaryClassificationEvaluatorOptions } from './evaluation/binary_classification.js';
export { TripletEvaluator, type TripletEvaluatorOptions } from './evaluation/triplet.js';
export { SequentialEvaluator } from './evaluation/sequential.js';
export { CrossEncoderClassificationEvaluator, type CrossEncoderClassificationEvaluatorOptions } from './evaluation/cross_encoder_classification.js';
export { CrossEncoderCorrelationEvaluator, type CrossEncoderCorrelationEvaluatorOptions } from './evaluation/cross_encoder_correlation.js';
export { CrossEncoderRerankingEvaluator, type CrossEncoderRerankingEvaluatorOptions, type RerankingSample } from './evaluation/cross_encoder_reranking.js';
export type { EncoderLike as EvaluatorEncoderLike, PredictorLike, EvaluatorEncodeOptions, TextPair } from './evaluation/model_like.js';
export type { SimilarityName } from './evaluation/base.js';

// Losses (sentence-transformers v6.0.1 names; CrossEncoder's MSELoss is CrossEncoderMSELoss here)
export { AnglELoss, type AnglELossOptions } from './losses/angle.js';
export { ContrastiveLoss, type ContrastiveLossOptions } from './losses/contrastive.js';
export { OnlineContrastiveLoss, type OnlineContrastiveLossOptions } from './losses/online_contrastive.js';
export { TripletLoss, type TripletLossOptions } from './losses/triplet.js';
export { BatchHardTripletLoss } from './losses/batch_hard_triplet.js';
export type { BatchTripletLossOptions } from './losses/batch_triplet_common.js';
export { BatchAllTripletLoss } from './losses/batch_all_triplet.js';
export { BatchSemiHardTripletLoss } from './losses/batch_semi_hard_triplet.js';
export { MSELoss, type MSELossOptions } from './losses/mse.js';
export { SoftmaxLoss, type SoftmaxLossOptions } from './losses/softmax.js';
export { MultipleNegativesSymmetricRankingLoss, type MultipleNegativesSymmetricRankingLossOptions } from './losses/multiple_negatives_symmetric_ranking.js';
export { BinaryCrossEntropyLoss, type BinaryCrossEntropyLossOptions } from './losses/binary_cross_entropy.js';
export { CrossEntropyLoss } from './losses/cross_entropy.js';
export { CrossEncoderMSELoss } from './losses/cross_encoder_mse.js';
export type { SiameseDistanceMetric, TripletDistanceMetric, BatchDistance } from './losses/distance_ops.js';

export { CosineSimilarityLoss } from './losses/cosine_similarity.js';
export { MultipleNegativesRankingLoss, type MultipleNegativesRankingLossOptions, type MnrlDirection, type MnrlPartitionMode, type MnrlHardnessMode, type MnrlSettings } from './losses/multiple_negatives_ranking.js';
export { CoSENTLoss, type CoSENTLossOptions } from './losses/cosent.js';
export { CachedMultipleNegativesRankingLoss, type CachedMultipleNegativesRankingLossOptions } from './losses/cached_multiple_negatives_ranking.js';
export { MatryoshkaLoss, type MatryoshkaLossOptions } from './losses/matryoshka.js';
export { createLoss, lossNames, createCrossEncoderLoss, crossEncoderLossNames, type LossFactory, type CrossEncoderLossFactory } from './losses/registry.js';
export { type LossSimilarity } from './losses/distance_ops.js';
export { SentenceTransformerTrainer, type SentenceTransformerTrainerOptions, type TrainingArguments, type FitOptions, type TrainObjective } from './training/trainer.js';
export { CrossEncoderTrainer, type CrossEncoderFitOptions, type CrossEncoderTrainerOptions, type TrainableCrossEncoder } from './training/cross_encoder_trainer.js';
export { type StepLog, type EvalLog, type TrainOutput, type TrainableSentenceModel } from './training/loop.js';
export { renderModelCard, type ModelCardData, type ModelCardDataset, type ModelCardEvaluation, type ModelCardLogRow } from './training/model_card.js';
export type { ColumnStats } from './training/model_card_format.js';
export { getScheduler, SCHEDULER_NAMES, type LrLambda, type ScheduleOptions } from './training/schedules.js';
export { AdamW, clipGradNorm, type AdamWOptions } from './training/optimizer.js';
export { type TrainingData, type TrainingRow, type BatchSamplerName } from './training/datasets.js';
export { type DataParallelOptions } from './training/data_parallel.js';
export { evalDatasetLosses, type EvalData, type EvalBatching } from './training/eval_loss.js';
