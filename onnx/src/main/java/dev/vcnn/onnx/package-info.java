/** ONNX files: the protobuf wire format ({@link dev.vcnn.onnx.WireReader}, {@link dev.vcnn.onnx.WireWriter}). */
package dev.vcnn.onnx;
