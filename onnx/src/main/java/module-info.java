/**
 * ONNX files in and out of vcnn. The protobuf wire format is read and written here from its specification:
 * ONNX uses a small part of protobuf, and a reader written for it can bound every length by the bytes left
 * and name the byte offset of anything malformed.
 */
module dev.vcnn.onnx {
    requires transitive dev.vcnn.models;

    exports dev.vcnn.onnx;

    provides dev.vcnn.models.train.ModelFormat with dev.vcnn.onnx.OnnxRuns;
}
