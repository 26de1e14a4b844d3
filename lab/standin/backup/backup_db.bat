@echo off
rem Routing ML database backup (version __VERSION__).
copy "%ROUTING_ML_DB_PATH%" "%~dp0RoutingML_RSL_%DATE:~0,4%%DATE:~5,2%%DATE:~8,2%.accdb"
