# Writes the state-dict keys and shapes of torchvision's resnet18, resnet34, resnet50 and mobilenet_v2 (1000
# classes) to src/test/resources/dev/vcnn/models/torchvision/NAME.txt, one "key dim,dim,..." line per tensor, so
# that a test can check vcnn's models load torchvision's weights by key. torchvision 0.29.1 on torch 2.13 made the
# committed files; its compiled detection operators are not needed and are declared so that the import succeeds
# where they do not load.  Run from the models module:  python3 src/test/python/torchvision_keys.py
import os
import torch

try:
    import torchvision
except RuntimeError:
    lib = torch.library.Library("torchvision", "DEF")
    for sig in ["nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
                "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor"]:
        lib.define(sig)
    import torchvision

out = os.path.join(os.path.dirname(__file__), "..", "resources", "dev", "vcnn", "models", "torchvision")
os.makedirs(out, exist_ok=True)
for name in ["resnet18", "resnet34", "resnet50", "mobilenet_v2"]:
    m = getattr(torchvision.models, name)()
    with open(os.path.join(out, name + ".txt"), "w") as f:
        for k, v in m.state_dict().items():
            f.write(f"{k} {','.join(str(d) for d in v.shape)}\n")
    print(name, len(m.state_dict()), sum(p.numel() for p in m.parameters()))
