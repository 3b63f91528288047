// @sigma/node-image drawing each thumbnail on a quad that fits its square instead of a triangle around its circle.
//
// The package's program covers every node with a triangle circumscribing the node's circle, about 3× the
// square thumbnail it shows (keepWithinCircle: false), and its fragment shader then discards the rest.
// Software WebGL (SwiftShader, as in headless Chromium) pays for every one of those fragments twice per
// frame (picture and picking), which made a 2,000-node graph a few frames per second (docs/BENCHMARKS.md,
// issue 6). Same attributes, varyings and fragment shader: only the geometry changes. Written against
// @sigma/node-image 3.0.0 (package.json pins it).
import { createNodeImageProgram } from "@sigma/node-image";

// The package's own constants: the crop square's half side is v_radius × this, positions are offset by
// diffVector × MARGIN_RATIO.
const SQUARE_HALF_SIDE_OF_RADIUS = Math.SQRT1_2 * Math.cos(Math.PI / 12);
const QUAD_SLACK = 1.02; // a hair larger than the square: the fragment shader's crop decides the edge

const VERTEX_SHADER = /* glsl */ `
attribute vec4 a_id;
attribute vec4 a_color;
attribute vec2 a_position;
attribute float a_size;
attribute vec2 a_corner;
attribute vec4 a_texture;
attribute float a_textureIndex;

uniform mat3 u_matrix;
uniform float u_sizeRatio;
uniform float u_correctionRatio;
uniform float u_cameraAngle;

varying vec4 v_color;
varying vec2 v_diffVector;
varying float v_radius;
varying vec4 v_texture;
varying float v_textureIndex;

const float bias = 255.0 / 254.0;
const float marginRatio = 1.05;

void main() {
  float size = a_size * u_correctionRatio / u_sizeRatio * 4.0;
  float radius = size / 2.0 / marginRatio;
  // The fragment shader turns diffVector by -u_cameraAngle before cropping: turn the corner the other way.
  float c = cos(u_cameraAngle);
  float s = sin(u_cameraAngle);
  vec2 diffVector = mat2(c, s, -s, c) * (a_corner * radius * ${(SQUARE_HALF_SIDE_OF_RADIUS * QUAD_SLACK).toFixed(8)});
  vec2 position = a_position + diffVector * marginRatio;
  gl_Position = vec4((u_matrix * vec3(position, 1)).xy, 0, 1);

  v_diffVector = diffVector;
  v_radius = radius;

  #ifdef PICKING_MODE
  v_color = a_id;
  #else
  v_color = a_color;
  v_textureIndex = a_textureIndex;
  v_texture = a_texture;
  #endif

  v_color.a *= bias;
}
`;

const QUAD_CORNERS = [[-1, -1], [1, -1], [1, 1], [-1, -1], [1, 1], [-1, 1]];

/** createNodeImageProgram(options) for square thumbnails (keepWithinCircle must be false). */
export function createSquareNodeImageProgram(options) {
  if (options.keepWithinCircle !== false) throw new Error("square thumbnails need keepWithinCircle: false");
  const NodeImageProgram = createNodeImageProgram(options);
  return class SquareNodeImageProgram extends NodeImageProgram {
    getDefinition() {
      return {
        ...super.getDefinition(),
        VERTICES: QUAD_CORNERS.length,
        VERTEX_SHADER_SOURCE: VERTEX_SHADER,
        CONSTANT_ATTRIBUTES: [{ name: "a_corner", size: 2, type: WebGLRenderingContext.FLOAT }],
        CONSTANT_DATA: QUAD_CORNERS,
      };
    }
  };
}
