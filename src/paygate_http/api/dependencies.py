"""The handler dependencies every controller may ask for, by parameter name.

    def handler(self, paygate: PaygateDep, principal: PrincipalDep, settings: SettingsDep)

The ``...Dep`` aliases tell Litestar not to re-validate these objects (they are ours, not
client input; msgspec cannot convert attrs classes holding Protocols anyway).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import Provide
from litestar.params import SkipValidation

from paygate_core.gateway import Paygate
from paygate_core.principals import Principal
from paygate_http.pipeline.auth import provide_principal
from paygate_http.services import services_of
from paygate_http.settings import Settings

__all__ = ["DEPENDENCIES", "AnyRequest", "PaygateDep", "PrincipalDep", "SettingsDep"]

PaygateDep = SkipValidation[Paygate]
PrincipalDep = SkipValidation[Principal]
SettingsDep = SkipValidation[Settings]
AnyRequest = Request[Any, Any, Any]


def _provide_paygate(request: Request[Any, Any, Any]) -> Paygate:
    return services_of(request).paygate


def _provide_settings(request: Request[Any, Any, Any]) -> Settings:
    return services_of(request).settings


DEPENDENCIES: dict[str, Provide] = {
    "paygate": Provide(_provide_paygate, sync_to_thread=False),
    "settings": Provide(_provide_settings, sync_to_thread=False),
    "principal": Provide(provide_principal),
}
