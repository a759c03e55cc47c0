/** Architectures, datasets, augmentation, the training loop and pictures, on top of the engine. */
module dev.vcnn.models {
    requires transitive dev.vcnn.engine;
    requires transitive java.desktop; // pictures are BufferedImages
    requires transitive com.google.gson;
    requires me.tongfei.progressbar;
    requires xchart; // XChart 4 has no module name of its own: the automatic one from its jar



    exports dev.vcnn.models;
    exports dev.vcnn.models.data;
    exports dev.vcnn.models.train;
    exports dev.vcnn.models.viz;
    exports dev.vcnn.models.experiments;

    uses dev.vcnn.models.train.ModelFormat;
}
