package dev.vcnn.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.optim.Sgd;
import dev.vcnn.engine.tensor.Shape;
import dev.vcnn.engine.tensor.SplitMix64;
import dev.vcnn.engine.tensor.Tensor;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Module structure: keys, printing, shapes, modes, freezing and state-dict loading. */
class ModuleTest {
    private static Sequential lenetLike() {
        var rng = new SplitMix64(1);
        return new Sequential(
                new Sequential(new Conv2d(1, 6, 5, 1, 2, rng), BatchNorm.batchNorm2d(6), new Activation.ReLU(), new MaxPool2d(2)),
                new Flatten(),
                new Dropout(0.5f, 3),
                new Linear(6 * 14 * 14, 10, rng));
    }

    @Test
    void stateDictKeysAreDottedAsInPyTorch() {
        assertEquals(List.of("0.0.weight", "0.0.bias", "0.1.weight", "0.1.bias", "0.1.running_mean", "0.1.running_var",
                        "0.1.num_batches_tracked", "3.weight", "3.bias"),
                List.copyOf(lenetLike().stateDict().keySet()));
        assertEquals(List.of("0.0.weight", "0.0.bias", "0.1.weight", "0.1.bias", "3.weight", "3.bias"),
                List.copyOf(lenetLike().namedParameters().keySet()));
    }

    @Test
    void toStringShowsTheConfigurationLikePyTorch() {
        assertEquals("""
                Sequential(
                  (0): Sequential(
                    (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
                    (1): BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
                    (2): ReLU()
                    (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
                  )
                  (1): Flatten(start_dim=1, end_dim=-1)
                  (2): Dropout(p=0.5, inplace=False)
                  (3): Linear(in_features=1176, out_features=10, bias=True)
                )""", lenetLike().toString());
    }

    @Test
    void outputShapeMatchesAForwardPassAndNamesTheFailingLayer() {
        Sequential m = lenetLike();
        Shape in = Shape.of(3, 1, 28, 28);
        assertEquals(Shape.of(3, 10), m.outputShape(in));
        assertEquals(m.outputShape(in), m.forward(Variable.constant(Tensor.zeros(3, 1, 28, 28))).shape());
        var e = assertThrows(IllegalArgumentException.class, () -> m.outputShape(Shape.of(3, 1, 32, 32)));
        assertTrue(e.getMessage().startsWith("layer 3 (Linear(in_features=1176"), e.getMessage());
        assertTrue(e.getMessage().contains("input features must be 1176 but was 1536"), e.getMessage());
        var f = assertThrows(IllegalArgumentException.class, () -> m.forward(Variable.constant(Tensor.zeros(3, 3, 28, 28))));
        assertTrue(f.getMessage().contains("input channels must be 1 but was 3"), f.getMessage());
    }

    @Test
    void evalModeDisablesDropoutAndUsesRunningStatistics() {
        Sequential m = lenetLike();
        Variable x = Variable.constant(Tensor.uniform(new SplitMix64(5), -1, 1, 4, 1, 28, 28));
        m.eval();
        assertFalse(m.get(2).isTraining());
        float[] a = m.forward(x).value().toArray();
        float[] b = m.forward(x).value().toArray();
        assertTrue(java.util.Arrays.equals(a, b), "eval mode is deterministic");
        m.train();
        float[] c = m.forward(x).value().toArray();
        float[] d = m.forward(x).value().toArray();
        assertFalse(java.util.Arrays.equals(c, d), "dropout draws a new mask per training call");
        BatchNorm bn = (BatchNorm) ((Sequential) m.get(0)).get(1);
        assertNotEquals(0f, bn.runningMean().get(0), "training updates the running mean");
        assertEquals(2f, m.stateDict().get("0.1.num_batches_tracked").item());
    }

    @Test
    void frozenParametersGetNoGradientAndOptimizersSkipThem() {
        Sequential m = lenetLike();
        ((Sequential) m.get(0)).freeze();
        Tensor convBefore = m.stateDict().get("0.0.weight").copy();
        Tensor linearBefore = m.stateDict().get("3.weight").copy();
        var opt = new Sgd(m.parameters(), 0.1f);
        Variable x = Variable.constant(Tensor.uniform(new SplitMix64(5), -1, 1, 4, 1, 28, 28));
        Functional.crossEntropy(m.forward(x), new int[] {1, 2, 3, 4}).backward();
        opt.step();
        assertTrue(java.util.Arrays.equals(convBefore.toArray(), m.stateDict().get("0.0.weight").toArray()));
        assertFalse(java.util.Arrays.equals(linearBefore.toArray(), m.stateDict().get("3.weight").toArray()));
        assertEquals(null, m.namedParameters().get("0.0.weight").grad());
    }

    @Test
    void loadStateDictReportsEveryProblemAtOnce() {
        Sequential m = lenetLike();
        var state = new HashMap<>(lenetLike().stateDict());
        state.remove("0.0.bias");
        state.remove("3.bias");
        state.put("4.weight", Tensor.zeros(2));
        state.put("3.weight", Tensor.zeros(10, 5));
        var e = assertThrows(IllegalArgumentException.class, () -> m.loadStateDict(state, true));
        assertEquals("loadStateDict: the state dict does not fit Sequential: missing keys [0.0.bias, 3.bias];"
                + " unexpected keys [4.weight]; mis-shaped keys [3.weight (checkpoint [10, 5], model [10, 1176])]", e.getMessage());
    }

    @Test
    void loadStateDictCopiesIntoTheLiveTensors() {
        Sequential source = new Sequential(new Linear(3, 2, new SplitMix64(1)));
        Sequential target = new Sequential(new Linear(3, 2, new SplitMix64(2)));
        Tensor live = target.stateDict().get("0.weight");
        target.loadStateDict(source.stateDict(), true);
        assertTrue(live == target.stateDict().get("0.weight"));
        assertEquals(source.stateDict().get("0.weight").get(1, 2), live.get(1, 2));
        var partial = new HashMap<>(source.stateDict());
        partial.remove("0.bias");
        target.loadStateDict(partial, false); // non-strict: missing keys are allowed
    }

    @Test
    void macsAndParameterCountsAddUp() {
        Sequential m = lenetLike();
        assertEquals(6 * 25 + 6 + 6 + 6 + 1176 * 10 + 10, m.parameterCount());
        assertEquals(28L * 28 * 6 * 25 + 1176 * 10, m.forwardMacs(Shape.of(1, 1, 28, 28)));
    }
}
