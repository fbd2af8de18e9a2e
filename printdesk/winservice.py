"""The intake and the worker as Windows services (packaging/windows/install.ps1), with pywin32's
service framework.

Why pywin32 and not a service-wrapper .exe (WinSW, NSSM): it is a pip package, pinned by hash in
requirements/run.txt like every other dependency, so nothing else has to be downloaded and
trusted; and the service runs PrintDesk's own code in-process, so a stop request from the Service
Control Manager stops the intake exactly as Ctrl+C does (waitress closes its connections, the
worker releases its lease) instead of killing a child process. Restart on failure is the SCM's
recovery setting (install.ps1 sets it): a service that exits with an error is started again.

Each service reads its data folder from the environment variable PRINTDESK_DATA, which
install.ps1 sets for the two services only (registry: the service's Environment value).

    python -m printdesk.winservice --startup auto install   (what install.ps1 does)
"""

from __future__ import annotations

import abc
import logging
import sys
from typing import Any

import servicemanager  # type: ignore[import-not-found]  # pywin32, Windows only
import win32event  # type: ignore[import-not-found]
import win32service  # type: ignore[import-not-found]
import win32serviceutil  # type: ignore[import-not-found]

from core.config import load_config
from core.ops.logsetup import setup_logging
from printdesk.service_stop import StopRequest

log = logging.getLogger(__name__)


class _Service(win32serviceutil.ServiceFramework, metaclass=abc.ABCMeta):  # type: ignore[misc]
    _exe_args_ = None
    kind: str  # whose log file: "intake" or "worker"

    def __init__(self, args: list[str]) -> None:
        super().__init__(args)
        self.stopped = win32event.CreateEvent(None, 0, 0, None)
        self.stop_request = StopRequest()

    def SvcStop(self) -> None:
        self.ReportServiceStatus(win32service.SERVICE_STOP_PENDING)
        self.stop_request.request()
        win32event.SetEvent(self.stopped)

    def SvcDoRun(self) -> None:
        servicemanager.LogMsg(servicemanager.EVENTLOG_INFORMATION_TYPE,
                              servicemanager.PYS_SERVICE_STARTED, (self._svc_name_, ""))
        config = load_config()
        setup_logging(config, self.kind)
        try:
            self.run(config)
        except Exception:
            log.exception("%s stopped on an error; Windows starts it again", self._svc_name_)
            raise  # the SCM sees the failure and applies the recovery actions
        log.info("%s stopped", self._svc_name_)

    @abc.abstractmethod
    def run(self, config: Any) -> None:
        """Serve until `self.stop_request` is made."""


class IntakeService(_Service):
    _svc_name_ = "PrintDeskIntake"
    _svc_display_name_ = "PrintDesk intake"
    _svc_description_ = "The students' 3D-print submission page (waitress)."
    kind = "intake"

    def run(self, config: Any) -> None:
        from intake.serve import serve, stop_server

        serve(config, worker=False,
              on_server=lambda server: self.stop_request.attach(lambda: stop_server(server)))


class WorkerService(_Service):
    _svc_name_ = "PrintDeskWorker"
    _svc_display_name_ = "PrintDesk worker"
    _svc_description_ = "PrintDesk's background work: email, thumbnails, estimates, backups."
    kind = "worker"

    def run(self, config: Any) -> None:
        from core.desk import open_desk
        from core.worker.tasks import make_worker

        desk = open_desk(config)
        try:
            worker = make_worker(desk)
            self.stop_request.attach(worker.stop)
            worker.run()
        finally:
            desk.close()


SERVICES = {"intake": IntakeService, "worker": WorkerService}


def main(argv: list[str]) -> None:
    """`python -m printdesk.winservice intake|worker [pywin32 options] install|remove|...`"""
    if len(argv) < 2 or argv[1] not in SERVICES:
        print("usage: python -m printdesk.winservice intake|worker [--startup auto] "
              "install|remove|start|stop", file=sys.stderr)
        raise SystemExit(2)
    service = SERVICES[argv[1]]
    if len(argv) == 2:  # started by the SCM through pythonservice.exe
        servicemanager.Initialize()
        servicemanager.PrepareToHostSingle(service)
        servicemanager.StartServiceCtrlDispatcher()
    else:
        win32serviceutil.HandleCommandLine(service, argv=[argv[0], *argv[2:]])


if __name__ == "__main__":
    main(sys.argv)
