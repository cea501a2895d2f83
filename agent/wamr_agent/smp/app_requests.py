"""The wasm-app group's requests in ``smpclient``'s convention: each request class
names its success response and its two error forms (``_Response``, ``_ErrorV1``,
``_ErrorV2``), so ``smpclient.SMPClient.request`` returns typed answers for them and
:class:`~wamr_agent.smp.apps.AppClient` decodes them the same way."""

from __future__ import annotations

from pydantic import ConfigDict
from smp import os_management as smpos

from . import app_config as ac
from . import app_management as am


class _AppGroupBase:
    _ErrorV1 = am.AppManagementErrorV1
    _ErrorV2 = am.AppManagementErrorV2


class UploadWrite(am.UploadWriteRequest, _AppGroupBase):
    _Response = am.UploadWriteResponse


class ListRead(am.ListReadRequest, _AppGroupBase):
    _Response = am.ListReadResponse


class StartWrite(am.StartWriteRequest, _AppGroupBase):
    _Response = am.StartWriteResponse


class StopWrite(am.StopWriteRequest, _AppGroupBase):
    _Response = am.StopWriteResponse


class RemoveWrite(am.RemoveWriteRequest, _AppGroupBase):
    _Response = am.RemoveWriteResponse


class ConfirmWrite(am.ConfirmWriteRequest, _AppGroupBase):
    _Response = am.ConfirmWriteResponse


class RollbackWrite(am.RollbackWriteRequest, _AppGroupBase):
    _Response = am.RollbackWriteResponse


class SendWrite(am.SendWriteRequest, _AppGroupBase):
    _Response = am.SendWriteResponse


class DeviceStatusRead(am.DeviceStatusReadRequest, _AppGroupBase):
    _Response = am.DeviceStatusReadResponse


class AppStatusRead(am.AppStatusReadRequest, _AppGroupBase):
    _Response = am.AppStatusReadResponse


class LogsRead(am.LogsReadRequest, _AppGroupBase):
    _Response = am.LogsReadResponse


class ConfigSetWrite(ac.ConfigSetWriteRequest, _AppGroupBase):
    _Response = ac.ConfigSetWriteResponse


class ConfigGetRead(ac.ConfigGetReadRequest, _AppGroupBase):
    _Response = ac.ConfigGetReadResponse


class McumgrParamsResponse(smpos.MCUMgrParametersReadResponse):
    """``smp``'s model, but tolerant of keys a device adds next to ``buf_size`` and
    ``buf_count`` (docs/smp-framing.md proposes one)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class McumgrParamsRead(smpos.MCUMgrParametersReadRequest):
    """OS group (0) command 6: the device's SMP buffer size and count."""

    _Response = McumgrParamsResponse
    _ErrorV1 = smpos.OSManagementErrorV1
    _ErrorV2 = smpos.OSManagementErrorV2
