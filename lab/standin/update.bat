@echo off
rem Routing ML update script (version __VERSION__).
rem Stops the service, runs the installer silently, re-registers the service.
rem Kept beside backup\ so that a rollback re-deploys both at the same version (SOP 5.3).
sc stop RoutingML
"%~dp0RoutingMLInstaller___VERSION__.exe" /S
powershell -ExecutionPolicy Bypass -File "%~dp0install_service.ps1"
