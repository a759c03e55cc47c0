package dev.vcnn.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Inlines model-local functions (what PyTorch's dynamo exporter writes for modules it keeps whole): a node that
 * calls a function by domain and name becomes the function's body, its formal inputs and outputs bound to the
 * call's values, its inner values renamed apart, and attributes that refer to the call's attributes
 * ({@code ref_attr_name}) given the call's values.
 */
final class Functions {
    /** Deeper nesting than this is taken for recursion. */
    static final int MAX_DEPTH = 64;

    private Functions() {}

    static List<OnnxModel.Node> inline(List<OnnxModel.Node> nodes, List<OnnxModel.Function> functions) {
        if (functions.isEmpty()) {
            return nodes;
        }
        Map<String, OnnxModel.Function> byName = new HashMap<>();
        for (OnnxModel.Function f : functions) {
            byName.put(f.domain() + "::" + f.name(), f);
        }
        List<OnnxModel.Node> out = new ArrayList<>();
        int[] counter = {0};
        for (OnnxModel.Node n : nodes) {
            expand(n, byName, out, 0, counter);
        }
        return out;
    }

    private static void expand(OnnxModel.Node call, Map<String, OnnxModel.Function> byName, List<OnnxModel.Node> out,
                               int depth, int[] counter) {
        OnnxModel.Function f = byName.get(call.domain() + "::" + call.opType());
        if (f == null) {
            out.add(call);
            return;
        }
        if (depth >= MAX_DEPTH) {
            throw new IllegalArgumentException("onnx: function '" + f.domain() + "::" + f.name() + "' nests more than "
                    + MAX_DEPTH + " calls deep (node '" + call.name() + "'); a function must not call itself");
        }
        String prefix = (call.name().isEmpty() ? f.name() : call.name()) + "/" + counter[0]++ + "/";
        Map<String, String> rename = new HashMap<>();
        for (int i = 0; i < f.inputs().size(); i++) {
            rename.put(f.inputs().get(i), i < call.inputs().size() ? call.inputs().get(i) : "");
        }
        for (int i = 0; i < f.outputs().size(); i++) {
            rename.put(f.outputs().get(i), i < call.outputs().size() ? call.outputs().get(i) : prefix + f.outputs().get(i));
        }
        for (OnnxModel.Node body : f.nodes()) {
            List<String> ins = body.inputs().stream()
                    .map(v -> v.isEmpty() ? "" : rename.getOrDefault(v, prefix + v)).toList();
            List<String> outs = body.outputs().stream()
                    .map(v -> v.isEmpty() ? "" : rename.getOrDefault(v, prefix + v)).toList();
            Map<String, OnnxModel.Attribute> attrs = new LinkedHashMap<>();
            for (OnnxModel.Attribute a : body.attributes().values()) {
                if (a.refAttrName() == null) {
                    attrs.put(a.name(), a);
                    continue;
                }
                OnnxModel.Attribute given = call.attributes().get(a.refAttrName());
                if (given != null) {
                    attrs.put(a.name(), new OnnxModel.Attribute(a.name(), given.type(), given.f(), given.i(), given.s(),
                            given.t(), given.floats(), given.ints(), given.strings(), null));
                }
            }
            OnnxModel.Node inner = new OnnxModel.Node(prefix + body.name(), body.opType(), body.domain(), ins, outs, attrs);
            expand(inner, byName, out, depth + 1, counter);
        }
    }
}
