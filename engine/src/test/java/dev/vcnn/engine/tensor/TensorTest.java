package dev.vcnn.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void factoriesFillAsNamed() {
        assertArrayEquals(new float[6], Tensor.zeros(2, 3).toArray());
        assertArrayEquals(new float[] {1, 1, 1}, Tensor.ones(3).toArray());
        assertArrayEquals(new float[] {2.5f, 2.5f}, Tensor.full(2.5f, 2).toArray());
        assertArrayEquals(new float[] {0, 1, 2, 3}, Tensor.arange(4).toArray());
        assertArrayEquals(new float[] {1f, 1.5f, 2f, 2.5f}, Tensor.arange(1f, 3f, 0.5f).toArray());
        assertEquals(0, Tensor.arange(3f, 1f, 1f).numel());
    }

    @Test
    void seededFactoriesRepeatAndStayInRange() {
        Tensor a = Tensor.uniform(new SplittableRandom(7), -2f, 3f, 100);
        Tensor b = Tensor.uniform(new SplittableRandom(7), -2f, 3f, 100);
        assertArrayEquals(a.toArray(), b.toArray());
        for (float v : a.toArray()) {
            assertTrue(v >= -2f && v < 3f, "out of range: " + v);
        }
        Tensor n = Tensor.normal(new SplittableRandom(1), 5f, 2f, 20000);
        double mean = 0;
        for (float v : n.toArray()) {
            mean += v;
        }
        mean /= n.numel();
        // 20000 samples: the mean's standard error is 2/sqrt(20000) ≈ 0.014; 0.1 is 7 of them.
        assertEquals(5.0, mean, 0.1);
    }

    @Test
    void ofCopiesAndChecksTheLength() {
        float[] values = {1, 2, 3, 4, 5, 6};
        Tensor t = Tensor.of(values, 2, 3);
        values[0] = 99;
        assertEquals(1f, t.get(0, 0));
        assertEquals(6f, t.get(1, 2));
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3));
        assertEquals("Tensor.of: values length must be 6 but was 5 (shape=[2, 3])", e.getMessage());
    }

    @Test
    void reshapeIsAViewOnTheSameData() {
        float[] data = {9, 0, 1, 2, 3, 4, 5};
        Tensor t = Tensor.wrap(data, 1, Shape.of(2, 3));
        Tensor v = t.reshape(3, -1);
        assertEquals(Shape.of(3, 2), v.shape());
        v.set(42f, 2, 1);
        assertEquals(42f, t.get(1, 2));
        assertEquals(42f, data[6]);
    }

    @Test
    void indexErrorsNameTheIndexAndShape() {
        Tensor t = Tensor.zeros(2, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> t.get(1, 3));
        assertEquals("get: index 1 must be in [0, 3) but was 3 (index=[1, 3], shape=[2, 3])", e.getMessage());
        var rank = assertThrows(IllegalArgumentException.class, () -> t.set(1f, 1));
        assertEquals("set: index length must be 2 but was 1 (index=[1], shape=[2, 3])", rank.getMessage());
        var wrap = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(new float[5], 1, Shape.of(5)));
        assertEquals("Tensor.wrap: data array length must be >= 6 but was 5 (data offset=1, elements needed=5)",
                wrap.getMessage());
    }

    @Test
    void printsLikePyTorch() {
        assertEquals("tensor([[1., 2., 3.],\n        [4., 5., 6.]])", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).toString());
        assertEquals("tensor([ 0.5000, -1.2500])", Tensor.of(new float[] {0.5f, -1.25f}, 2).toString());
        assertEquals("tensor(3.5000)", Tensor.full(3.5f).toString());
    }

    @Test
    void largeTensorsAreAbbreviatedWithTheirShape() {
        String s = Tensor.arange(5000).toString();
        assertEquals("tensor([   0.,    1.,    2., ..., 4997., 4998., 4999.], shape=[5000])", s);
        String m = Tensor.zeros(100, 100).toString();
        assertTrue(m.contains("..."), m);
        assertTrue(m.endsWith("shape=[100, 100])"), m);
        assertTrue(m.length() < 400, m);
    }
}
