export { createBuiltinEngine, BUILTIN_ENGINE_NAME, type BuiltinEngineOptions } from './builtin-engine';
export { createClamdEngine, CLAMD_ENGINE_NAME, type ClamdEngineOptions } from './clamd-engine';
export { parseClamdReply, type ClamdReply } from './clamd-reply';
export { EICAR_SIGNATURE, eicarBytes } from './eicar';
export { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from './inspection-state';
export { detectType, MAGIC_HEAD_BYTES, type DetectedType } from './magic-bytes';
export { DEFAULT_ALLOWED_TYPES, canonicalMediaType } from './media-types';
export { errorMessage, type ScanEngine, type ScanInput, type ScanSubject } from './scan-engine';
export { scanStream, STREAM_CHECK_ENGINE, type ScanStreamOptions } from './scan-stream';
export { evaluateTypePolicy, type TypePolicyInput, type TypePolicyResult } from './type-policy';
export {
  combineVerdicts,
  SCAN_STATUSES,
  SEVERITY,
  type EngineVerdict,
  type ScanStatus,
  type ScanVerdict,
} from './verdict';
