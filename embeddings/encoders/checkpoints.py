"""save()/load() for encoders that are one torch module (`self.network`) plus their config()."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from embeddings.encoders.base import Encoder

WEIGHTS_FILE = "weights.pt"
CONFIG_FILE = "config.json"


class NetworkCheckpoint(Encoder):
    """The checkpoint folder's name is the version; the constructor must accept config() + version."""

    network: torch.nn.Module
    device: torch.device

    def place_on(self, device: torch.device | str) -> None:
        """Move the network to `device` (training) and remember it for embed(); back to "cpu" after."""
        self.device = torch.device(device)
        self.network.to(self.device)

    def save(self, checkpoint_dir: Path) -> None:
        checkpoint_dir = Path(checkpoint_dir)
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
        torch.save({key: value.cpu() for key, value in self.network.state_dict().items()}, checkpoint_dir / WEIGHTS_FILE)
        (checkpoint_dir / CONFIG_FILE).write_text(json.dumps(self.config(), indent=2))

    @classmethod
    def load(cls, checkpoint_dir: Path) -> "NetworkCheckpoint":
        checkpoint_dir = Path(checkpoint_dir)
        encoder = cls(**json.loads((checkpoint_dir / CONFIG_FILE).read_text()), version=checkpoint_dir.name)
        encoder.network.load_state_dict(torch.load(checkpoint_dir / WEIGHTS_FILE, map_location="cpu"))
        encoder.network.eval()
        return encoder
