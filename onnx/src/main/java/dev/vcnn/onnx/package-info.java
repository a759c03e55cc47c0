/**
 * ONNX files: a model's graph, nodes and tensors ({@link dev.vcnn.onnx.OnnxModel}) over the protobuf wire format
 * ({@link dev.vcnn.onnx.WireReader}, {@link dev.vcnn.onnx.WireWriter}).
 */
package dev.vcnn.onnx;
