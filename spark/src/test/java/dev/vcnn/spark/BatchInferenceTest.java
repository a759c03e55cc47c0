package dev.vcnn.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vcnn.models.data.Synthetic;
import dev.vcnn.models.train.TrainConfig;
import dev.vcnn.models.train.TrainedRun;
import dev.vcnn.models.train.Trainer;
import dev.vcnn.models.viz.Images;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batch inference on Spark gives each image the top classes that classifying it alone gives (what
 * {@code vcnn predict} prints), as a Transformer in a Pipeline and as JSON lines.
 */
class BatchInferenceTest {
    @TempDir
    Path dir;

    @Test
    void classifiesAFolderAsPredictDoes() throws Exception {
        Path run = dir.resolve("run");
        new Trainer(TrainConfig.recipe("lenet5", "synthetic").toBuilder().synthetic(1200, 200).epochs(2).batchSize(64)
                .optimizer("adam", 2e-3f).schedule("none", 0).build(), run, 2, new PrintStream(new ByteArrayOutputStream()))
                .run(false);
        Path images = Files.createDirectories(dir.resolve("images").resolve("sub"));
        var d = Synthetic.generate("p", 9, 0, 11, 1, 28);
        for (int i = 0; i < 11; i++) {
            Images.writePng(Images.fromBytes(d.pixels(), i * 28 * 28, 1, 28, 28), images.resolve("img" + i + ".png"));
        }
        Files.writeString(dir.resolve("images").resolve("notes.txt"), "not an image: the glob filter skips it");

        TrainedRun r = TrainedRun.open(run);
        Map<String, String> alone = new HashMap<>();
        try (var files = Files.list(images)) {
            for (Path p : files.toList()) {
                alone.put(p.getFileName().toString(), r.top(r.input(p), 1).getFirst().getFirst().label());
            }
        }

        try (SparkSession session = LocalSpark.session("local[2]", "vcnn-test")) {
            var pipeline = new Pipeline().setStages(new PipelineStage[] {new ImageClassifier().setRun(run.toString())
                    .setBatchSize(4).setTop(3)});
            var frame = BatchInference.images(session, dir.resolve("images").toString()).repartition(2);
            List<Row> rows = pipeline.fit(frame).transform(frame).select("path", "prediction", "probability", "top")
                    .collectAsList();
            assertEquals(11, rows.size());
            for (Row row : rows) {
                String name = Path.of(java.net.URI.create(row.getString(0))).getFileName().toString();
                assertEquals(alone.get(name), row.getString(1), name);
                List<Row> top = row.getList(3);
                assertEquals(3, top.size());
                assertEquals(row.getDouble(2), top.getFirst().getDouble(1), 0);
                assertTrue(top.get(0).getDouble(1) >= top.get(1).getDouble(1));
            }

            Path out = dir.resolve("out");
            assertEquals(11, BatchInference.write(session, run.toString(), dir.resolve("images").toString(), out.toString(),
                    "json", 2, 3));
            int lines = 0;
            try (var parts = Files.list(out)) {
                for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
                    for (String line : Files.readAllLines(part)) {
                        var o = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
                        String name = Path.of(java.net.URI.create(o.get("path").getAsString())).getFileName().toString();
                        assertEquals(alone.get(name), o.getAsJsonArray("top").get(0).getAsJsonObject().get("label").getAsString());
                        assertEquals(2, o.getAsJsonArray("top").size());
                        lines++;
                    }
                }
            }
            assertEquals(11, lines);

            var e = assertThrows(IllegalArgumentException.class, () -> new ImageClassifier().setRun(run.toString())
                    .setInputCol("pixels").transform(frame));
            assertTrue(e.getMessage().contains("input column 'pixels' must exist"), e.getMessage());
        }
    }
}
