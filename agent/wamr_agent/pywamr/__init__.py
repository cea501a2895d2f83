"""pywamr: the device runtime (C, the same code the firmware runs) driven
from Python through cffi.

    from wamr_agent.pywamr import Runtime, Module
    rt = Runtime("esp32", grants=["log", "sensor"])
    with rt.instantiate(Module.from_file("app.wasm")) as app:
        app.call("loop")
"""

from .devices import DeviceError, PinBank, Tmp105
from .host import Host
from .module import Extern, Module, ModuleInfo
from .runtime import Instance, MemoryStats, Runtime

__all__ = ["DeviceError", "Extern", "Host", "Instance", "MemoryStats", "Module", "ModuleInfo",
           "PinBank", "Runtime", "Tmp105"]
