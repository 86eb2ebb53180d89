/** Camera rendering without OpenGL: see docs/cameras.md. */
export {
  CameraRenderer,
  DEFAULT_CAMERAS,
  DEFAULT_IMAGE_SIZE,
  detectGpuMode,
  hasRealGpu,
  type CameraObservation,
  type CameraRendererOptions,
  type RenderBackend,
  type RenderedImages,
  type WireCameraObservation,
} from './camera-renderer.ts';
export { cameraExtrinsics, cameraIntrinsics, projectPoint } from './camera-model.ts';
export { encodePng, writePng } from './png.ts';
export type { RenderData, RenderModel, RenderScene } from './scene-snapshot.ts';
