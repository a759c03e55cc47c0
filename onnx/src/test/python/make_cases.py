# Writes the operator cases under src/test/resources/dev/vcnn/onnx/cases/: one folder per case holding model.onnx
# and test_data_set_0/{input,output}_K.pb (serialized TensorProtos, the layout of ONNX's backend test data), the
# outputs computed by ONNX Runtime. Each model passes onnx.checker. Run from the onnx module with the onnx and
# onnxruntime Python packages (1.23.1 and 1.30.0 made the committed files):  python3 src/test/python/make_cases.py
import os, shutil
import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper, TensorProto

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "dev", "vcnn", "onnx", "cases")
rng = np.random.default_rng(2026)
F = TensorProto.FLOAT
I64 = TensorProto.INT64


def randn(*dims):
    return rng.standard_normal(dims).astype(np.float32)


def case(name, nodes, inputs, outputs, inits=(), opset=17, functions=()):
    """inputs: list of (name, array); outputs: list of names (float unless suffixed ':i64')."""
    ins = [helper.make_tensor_value_info(n, F if a.dtype == np.float32 else I64, list(a.shape)) for n, a in inputs]
    outs = []
    for o in outputs:
        nm, _, kind = o.partition(":")
        outs.append(helper.make_tensor_value_info(nm, I64 if kind == "i64" else F, None))
    g = helper.make_graph(nodes, name, ins, outs, [numpy_helper.from_array(v, k) for k, v in inits])
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("local", 1)] if functions else [])
    m = helper.make_model(g, opset_imports=opsets, functions=list(functions), producer_name="make_cases")
    m.ir_version = 8
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    res = sess.run(None, {n: a for n, a in inputs})
    for vi, r in zip(m.graph.output, res):  # the outputs' shapes, as ONNX Runtime computed them
        vi.CopyFrom(helper.make_tensor_value_info(vi.name, vi.type.tensor_type.elem_type, list(np.shape(r))))
    onnx.checker.check_model(m, full_check=True)
    d = os.path.join(OUT, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    for k, (n, a) in enumerate(inputs):
        with open(os.path.join(d, "test_data_set_0", f"input_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())
    for k, (o, r) in enumerate(zip(outputs, res)):
        with open(os.path.join(d, "test_data_set_0", f"output_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(np.asarray(r), o.partition(":")[0]).SerializeToString())


def unary(name, op, x, opset=17, **attrs):
    case(name, [helper.make_node(op, ["x"], ["y"], name=op.lower(), **attrs)], [("x", x)], ["y"], opset=opset)


shutil.rmtree(OUT, ignore_errors=True)
N = helper.make_node
x4 = randn(2, 4, 7, 6)

# convolution
case("conv_pads_strides_dilations_groups", [N("Conv", ["x", "w", "b"], ["y"], name="conv", pads=[1, 0, 2, 1],
     strides=[2, 1], dilations=[1, 2], group=2)], [("x", x4)], ["y"], [("w", randn(6, 2, 3, 3)), ("b", randn(6))])
case("conv_same_upper", [N("Conv", ["x", "w"], ["y"], name="conv", auto_pad="SAME_UPPER", strides=[2, 2])],
     [("x", x4)], ["y"], [("w", randn(3, 4, 4, 4))])
case("conv_same_lower", [N("Conv", ["x", "w"], ["y"], name="conv", auto_pad="SAME_LOWER", strides=[2, 2])],
     [("x", x4)], ["y"], [("w", randn(3, 4, 4, 4))])
case("conv_depthwise", [N("Conv", ["x", "w", "b"], ["y"], name="dw", pads=[1, 1, 1, 1], group=4)],
     [("x", x4)], ["y"], [("w", randn(4, 1, 3, 3)), ("b", randn(4))])
case("conv_transpose_stride_pads_output_padding", [N("ConvTranspose", ["x", "w", "b"], ["y"], name="up", strides=[2, 2],
     pads=[1, 1, 1, 1], output_padding=[1, 0])], [("x", randn(2, 4, 5, 4))], ["y"], [("w", randn(4, 3, 3, 3)), ("b", randn(3))])
case("conv_transpose_groups_dilations", [N("ConvTranspose", ["x", "w"], ["y"], name="up", group=2, dilations=[2, 1],
     strides=[1, 2])], [("x", randn(1, 4, 4, 5))], ["y"], [("w", randn(4, 3, 2, 3))])

# pooling
case("maxpool_ceil_pads", [N("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
     ceil_mode=1)], [("x", x4)], ["y"])
case("maxpool_dilations", [N("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2], dilations=[2, 2])], [("x", x4)], ["y"])
case("maxpool_asymmetric_pads", [N("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2], strides=[2, 2],
     pads=[0, 0, 1, 1])], [("x", randn(1, 2, 5, 5))], ["y"])
case("maxpool_same_upper", [N("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[3, 3], strides=[2, 2],
     auto_pad="SAME_UPPER")], [("x", x4)], ["y"])
case("avgpool_count_include_pad", [N("AveragePool", ["x"], ["y"], name="pool", kernel_shape=[3, 3], strides=[2, 2],
     pads=[1, 1, 1, 1], count_include_pad=1)], [("x", x4)], ["y"])
case("avgpool_exclude_pad", [N("AveragePool", ["x"], ["y"], name="pool", kernel_shape=[3, 3], strides=[2, 2],
     pads=[1, 1, 1, 1])], [("x", x4)], ["y"])
case("avgpool_ceil", [N("AveragePool", ["x"], ["y"], name="pool", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)],
     [("x", x4)], ["y"])
unary("global_average_pool", "GlobalAveragePool", x4)
unary("global_max_pool", "GlobalMaxPool", x4)
case("batch_norm_inference", [N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="bn", epsilon=1e-3)],
     [("x", x4)], ["y"], [("s", randn(4)), ("b", randn(4)), ("m", randn(4)), ("v", np.abs(randn(4)) + 0.5)])

# activations
for op, attrs in [("Relu", {}), ("LeakyRelu", {"alpha": 0.1}), ("Sigmoid", {}), ("Tanh", {}),
                  ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}), ("HardSwish", {}), ("Erf", {}), ("Exp", {}),
                  ("Neg", {})]:
    unary(op.lower(), op, randn(3, 5) * 3, **attrs)
unary("sqrt", "Sqrt", np.abs(randn(3, 5)) + 0.1)
case("clip_bounds", [N("Clip", ["x", "lo", "hi"], ["y"], name="clip")], [("x", randn(3, 5) * 4)], ["y"],
     [("lo", np.array(0, np.float32)), ("hi", np.array(6, np.float32))])
case("clip_min_only", [N("Clip", ["x", "lo"], ["y"], name="clip")], [("x", randn(3, 5))], ["y"],
     [("lo", np.array(-0.5, np.float32))], opset=11)
case("pow_scalar", [N("Pow", ["x", "e"], ["y"], name="pow")], [("x", np.abs(randn(3, 4)) + 0.1)], ["y"],
     [("e", np.array(1.5, np.float32))])
case("pow_broadcast", [N("Pow", ["x", "e"], ["y"], name="pow")], [("x", np.abs(randn(3, 4)) + 0.1), ("e", randn(4))], ["y"])

# products
case("gemm_trans_alpha_beta", [N("Gemm", ["a", "b", "c"], ["y"], name="gemm", transA=1, transB=1, alpha=0.5, beta=2.0)],
     [("a", randn(5, 3))], ["y"], [("b", randn(4, 5)), ("c", randn(1, 4))])
case("gemm_linear", [N("Gemm", ["a", "w", "c"], ["y"], name="fc", transB=1)], [("a", randn(3, 6))], ["y"],
     [("w", randn(4, 6)), ("c", randn(4))])
case("gemm_no_c", [N("Gemm", ["a", "w"], ["y"], name="fc")], [("a", randn(3, 6))], ["y"], [("w", randn(6, 2))])
case("matmul_3d_2d", [N("MatMul", ["a", "b"], ["y"], name="mm")], [("a", randn(2, 3, 4))], ["y"], [("b", randn(4, 5))])
case("matmul_1d_2d", [N("MatMul", ["a", "b"], ["y"], name="mm")], [("a", randn(4))], ["y"], [("b", randn(4, 5))])

# arithmetic with broadcasting
for op in ["Add", "Sub", "Mul", "Div"]:
    case(op.lower() + "_broadcast", [N(op, ["a", "b"], ["y"], name=op.lower())], [("a", randn(2, 3, 4)), ("b", randn(3, 1))], ["y"])
for op in ["Sum", "Max", "Min"]:
    case(op.lower() + "_three", [N(op, ["a", "b", "c"], ["y"], name=op.lower())],
         [("a", randn(2, 3)), ("b", randn(3)), ("c", randn(2, 1))], ["y"])

# shapes
case("flatten_axis2", [N("Flatten", ["x"], ["y"], name="flat", axis=2)], [("x", x4)], ["y"])
case("reshape_zero_and_minus_one", [N("Reshape", ["x", "s"], ["y"], name="reshape")], [("x", x4)], ["y"],
     [("s", np.array([0, -1, 6], np.int64))])
case("transpose_perm", [N("Transpose", ["x"], ["y"], name="t", perm=[0, 2, 3, 1])], [("x", x4)], ["y"])
unary("transpose_default", "Transpose", randn(2, 3, 4))
case("concat_axis1", [N("Concat", ["a", "b"], ["y"], name="cat", axis=1)], [("a", randn(2, 3, 2)), ("b", randn(2, 1, 2))], ["y"])
case("concat_negative_axis", [N("Concat", ["a", "b"], ["y"], name="cat", axis=-1)], [("a", randn(2, 3)), ("b", randn(2, 2))], ["y"])
case("squeeze_unsqueeze_attributes", [N("Squeeze", ["x"], ["s"], name="sq", axes=[1]),
     N("Unsqueeze", ["s"], ["y"], name="unsq", axes=[0, -1])], [("x", randn(3, 1, 4))], ["y"], opset=11)
case("squeeze_unsqueeze_inputs", [N("Squeeze", ["x", "a"], ["s"], name="sq"), N("Unsqueeze", ["s", "b"], ["y"], name="unsq")],
     [("x", randn(3, 1, 4))], ["y"], [("a", np.array([1], np.int64)), ("b", np.array([0, 3], np.int64))], opset=13)
case("squeeze_all", [N("Squeeze", ["x"], ["y"], name="sq")], [("x", randn(1, 3, 1, 2))], ["y"], opset=13)
# what TorchScript writes for x.view(x.size(0), -1)
case("shape_gather_unsqueeze_concat_reshape", [
    N("Shape", ["x"], ["shape"], name="shape"),
    N("Constant", [], ["zero"], name="c0", value=numpy_helper.from_array(np.array(0, np.int64))),
    N("Gather", ["shape", "zero"], ["n"], name="gather", axis=0),
    N("Constant", [], ["axes"], name="c1", value=numpy_helper.from_array(np.array([0], np.int64))),
    N("Unsqueeze", ["n", "axes"], ["n1"], name="unsqueeze"),
    N("Constant", [], ["rest"], name="c2", value_ints=[-1]),
    N("Concat", ["n1", "rest"], ["target"], name="concat", axis=0),
    N("Reshape", ["x", "target"], ["y"], name="reshape")], [("x", x4)], ["y", "target:i64"])
case("shape_start_end", [N("Shape", ["x"], ["y"], name="shape", start=1, end=-1)], [("x", x4)], ["y:i64"], opset=15)
case("gather_floats_2d_indices", [N("Gather", ["x", "i"], ["y"], name="gather", axis=1)], [("x", randn(2, 5, 3))], ["y"],
     [("i", np.array([[0, -1], [3, 1]], np.int64))])
case("constants", [N("Constant", [], ["c"], name="c", value=numpy_helper.from_array(randn(2, 3))),
     N("Constant", [], ["f"], name="f", value_float=2.5), N("Mul", ["c", "f"], ["m"], name="mul"),
     N("Add", ["x", "m"], ["y"], name="add")], [("x", randn(2, 3))], ["y"])
unary("identity", "Identity", randn(2, 3))
case("dropout_inference", [N("Dropout", ["x", "r"], ["y"], name="drop")], [("x", randn(3, 4))], ["y"],
     [("r", np.array(0.3, np.float32))], opset=13)
case("softmax_opset11_axis1_coerces", [N("Softmax", ["x"], ["y"], name="sm", axis=1)], [("x", randn(2, 3, 4))], ["y"], opset=11)
case("softmax_opset13_axis1", [N("Softmax", ["x"], ["y"], name="sm", axis=1)], [("x", randn(2, 3, 4))], ["y"], opset=13)
case("softmax_default_axis", [N("Softmax", ["x"], ["y"], name="sm")], [("x", randn(2, 3, 4))], ["y"], opset=13)
case("log_softmax_opset11_default", [N("LogSoftmax", ["x"], ["y"], name="lsm")], [("x", randn(2, 3, 4))], ["y"], opset=11)
case("log_softmax_axis0", [N("LogSoftmax", ["x"], ["y"], name="lsm", axis=0)], [("x", randn(2, 3, 4))], ["y"], opset=13)

# padding and resizing
for mode in ["constant", "reflect", "edge"]:
    case("pad_" + mode, [N("Pad", ["x", "p", "v"], ["y"], name="pad", mode=mode)], [("x", randn(1, 2, 4, 5))], ["y"],
         [("p", np.array([0, 0, 1, 2, 0, 1, 2, 1], np.int64)), ("v", np.array(0.75, np.float32))])
case("pad_axes_opset18", [N("Pad", ["x", "p", "", "a"], ["y"], name="pad", mode="constant")], [("x", randn(1, 2, 4, 5))],
     ["y"], [("p", np.array([1, 0, 2, 3], np.int64)), ("a", np.array([2, -1], np.int64))], opset=18)
case("pad_negative_crops", [N("Pad", ["x", "p"], ["y"], name="pad")], [("x", randn(1, 2, 4, 5))], ["y"],
     [("p", np.array([0, 0, -1, 1, 0, 0, 1, -2], np.int64))])
empty = np.zeros(0, np.float32)
for nm, attrs, scales in [
        ("resize_nearest_pytorch", dict(mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor"), [1, 1, 2, 2]),
        ("resize_nearest_default_modes", dict(mode="nearest"), [1, 1, 1.5, 1.75]),
        ("resize_linear_pytorch_half_pixel", dict(mode="linear", coordinate_transformation_mode="pytorch_half_pixel"), [1, 1, 2, 3]),
        ("resize_linear_half_pixel_down", dict(mode="linear"), [1, 1, 0.5, 0.6]),
        ("resize_linear_asymmetric", dict(mode="linear", coordinate_transformation_mode="asymmetric"), [1, 1, 2, 2])]:
    case(nm, [N("Resize", ["x", "", "s"], ["y"], name="resize", **attrs)], [("x", randn(1, 2, 4, 5))], ["y"],
         [("s", np.array(scales, np.float32))], opset=13)
case("resize_linear_align_corners_sizes", [N("Resize", ["x", "", "", "sz"], ["y"], name="resize", mode="linear",
     coordinate_transformation_mode="align_corners")], [("x", randn(1, 2, 4, 5))], ["y"],
     [("sz", np.array([1, 2, 7, 3], np.int64))], opset=13)
# the forms before opset 11: Upsample (opset 9), Resize-10 (X, scales), Pad, Clip and Dropout with attributes
for mode in ["nearest", "linear"]:
    case("upsample_opset9_" + mode, [N("Upsample", ["x", "s"], ["y"], name="up", mode=mode)], [("x", randn(1, 2, 3, 4))],
         ["y"], [("s", np.array([1, 1, 2, 1.5], np.float32))], opset=9)
case("resize_opset10_scales", [N("Resize", ["x", "s"], ["y"], name="resize", mode="linear")], [("x", randn(1, 2, 3, 4))],
     ["y"], [("s", np.array([1, 1, 2, 2], np.float32))], opset=10)
case("pad_opset9_attributes", [N("Pad", ["x"], ["y"], name="pad", mode="edge", pads=[0, 0, 1, 0, 0, 0, 2, 1])],
     [("x", randn(1, 2, 3, 4))], ["y"], opset=9)
case("clip_opset9_attributes", [N("Clip", ["x"], ["y"], name="clip", min=-0.5, max=0.25)], [("x", randn(3, 4))], ["y"], opset=9)
case("dropout_opset9_ratio_attribute", [N("Dropout", ["x"], ["y"], name="drop", ratio=0.3)], [("x", randn(3, 4))], ["y"], opset=9)
case("reduce_mean_attribute_axes", [N("ReduceMean", ["x"], ["y"], name="mean", axes=[2, 3], keepdims=0)], [("x", x4)], ["y"])
case("reduce_mean_input_axes", [N("ReduceMean", ["x", "a"], ["y"], name="mean")], [("x", x4)], ["y"],
     [("a", np.array([-1, 1], np.int64))], opset=18)
case("cast_shape_to_float", [N("Shape", ["x"], ["s"], name="shape"), N("Cast", ["s"], ["y"], name="cast", to=F)],
     [("x", x4)], ["y"])

# a model-local function, as the dynamo exporter writes: y = relu(x·alpha + b), alpha an attribute of the call
ref = helper.make_attribute_ref("value_float", TensorProto.FLOAT)
ref.ref_attr_name = "alpha"
scale = N("Constant", [], ["a"])
scale.attribute.append(ref)
fn = helper.make_function("local", "ScaledRelu", ["x", "b"], ["y"],
                          [scale, N("Mul", ["x", "a"], ["t"]), N("Add", ["t", "b"], ["u"]), N("Relu", ["u"], ["y"])],
                          [helper.make_opsetid("", 17)], attributes=["alpha"])
case("local_function_inlined", [N("ScaledRelu", ["x", "b"], ["h"], name="call1", domain="local", alpha=2.0),
     N("ScaledRelu", ["h", "b"], ["y"], name="call2", domain="local", alpha=-0.5)],
     [("x", randn(2, 3))], ["y"], [("b", randn(3))], functions=[fn])
# min above max: every value becomes max (the operator's specification since opset 11)
case("clip_min_above_max", [N("Clip", ["x", "lo", "hi"], ["y"], name="clip")], [("x", randn(3, 5) * 4)], ["y"],
     [("lo", np.array(1, np.float32)), ("hi", np.array(-1, np.float32))])
print("cases:", len(os.listdir(OUT)))
