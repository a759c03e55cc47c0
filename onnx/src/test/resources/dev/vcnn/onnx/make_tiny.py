# Writes tiny.onnx (run with the onnx Python package, 1.23.1 made the committed file): a 1x8x8 -> 3 net of
# Conv, Relu, MaxPool, Reshape and Gemm, its weights in raw_data but one bias in float_data, checked by onnx.checker.
import os
import numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
rng = np.random.default_rng(7)
w = rng.standard_normal((4, 1, 3, 3)).astype(np.float32)
b = np.array([0.5, -1.0, 0.25, 2.0], dtype=np.float32)
fc = rng.standard_normal((3, 4 * 4 * 4)).astype(np.float32)
shape = np.array([0, -1], dtype=np.int64)
inits = [numpy_helper.from_array(w, "conv.weight"), numpy_helper.from_array(b, "conv.bias"),
         numpy_helper.from_array(fc, "fc.weight"), numpy_helper.from_array(shape, "flat_shape")]
# one initializer in float_data instead of raw_data
fcb = helper.make_tensor("fc.bias", TensorProto.FLOAT, [3], [0.1, 0.2, 0.3])
inits.append(fcb)
nodes = [
    helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
    helper.make_node("Relu", ["c"], ["r"], name="relu"),
    helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node("Reshape", ["p", "flat_shape"], ["f"], name="flatten"),
    helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], name="fc", alpha=1.0, beta=1.0, transB=1),
]
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 8, 8])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])
g = helper.make_graph(nodes, "tiny", [x], [y], inits)
m = helper.make_model(g, producer_name="onnx-helper", opset_imports=[helper.make_opsetid("", 17)])
m.ir_version = 8
onnx.checker.check_model(m)
onnx.save(m, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny.onnx"))
print("w[0,0,0,:]", w[0,0,0,:].tolist())
print("fc[2,63]", float(fc[2,63]))
print(os.path.getsize(os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny.onnx")))
# The same model with every tensor of 64 bytes or more in one external file, tiny_external.data, as
# PyTorch's exporter writes large models.
here = os.path.dirname(os.path.abspath(__file__))
onnx.save_model(m, os.path.join(here, "tiny_external.onnx"), save_as_external_data=True,
                all_tensors_to_one_file=True, location="tiny_external.data", size_threshold=64)
