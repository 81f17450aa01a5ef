"""Prints one SHA-256 over the tensors of a model directory's safetensors
files, taken in name order (name, dtype, shape and bytes of each), so that
the checksum says whether the weights are the same whatever the files'
layout or sharding."""
import hashlib
import json
import pathlib
import struct
import sys


def tensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        start = 8 + n
        for name, info in header.items():
            if name != "__metadata__":
                yield name, info, path, start


def main(model_dir):
    found = []
    for path in sorted(pathlib.Path(model_dir).glob("*.safetensors")):
        found.extend(tensors(path))
    h = hashlib.sha256()
    for name, info, path, start in sorted(found, key=lambda t: t[0]):
        begin, end = info["data_offsets"]
        h.update(json.dumps([name, info["dtype"], info["shape"]]).encode())
        with open(path, "rb") as f:
            f.seek(start + begin)
            h.update(f.read(end - begin))
    print(h.hexdigest())


if __name__ == "__main__":
    main(sys.argv[1])
