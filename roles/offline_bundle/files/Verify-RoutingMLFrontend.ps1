<#
.SYNOPSIS
Checks an unpacked Routing ML offline frontend package before it is uploaded to a local IIS.
Run it in the folder where the package was unpacked:  .\Verify-RoutingMLFrontend.ps1
It compares every file under RoutingMLFrontend\ with MANIFEST.sha256 and reports missing,
extra and changed files. Exit code 0 means the package is complete and intact.
#>
$ErrorActionPreference = 'Stop'
$here = Split-Path -Parent $MyInvocation.MyCommand.Path
$expected = @{}
foreach ($line in Get-Content -LiteralPath (Join-Path $here 'MANIFEST.sha256') -Encoding UTF8) {
    if ($line.Trim()) { $expected[$line.Substring(66)] = $line.Substring(0, 64) }
}
$actual = @{}
Get-ChildItem -LiteralPath (Join-Path $here 'RoutingMLFrontend') -Recurse -File | ForEach-Object {
    $name = 'RoutingMLFrontend/' + $_.FullName.Substring((Join-Path $here 'RoutingMLFrontend').Length + 1).Replace('\', '/')
    $actual[$name] = (Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash.ToLower()
}
$missing = @($expected.Keys | Where-Object { -not $actual.ContainsKey($_) })
$extra = @($actual.Keys | Where-Object { -not $expected.ContainsKey($_) })
$changed = @($expected.Keys | Where-Object { $actual.ContainsKey($_) -and $actual[$_] -ne $expected[$_] })
if ($missing.Count + $extra.Count + $changed.Count) {
    Write-Host "NOT OK: $($missing.Count) missing, $($extra.Count) extra, $($changed.Count) changed"
    $missing + $extra + $changed | Select-Object -First 20 | ForEach-Object { Write-Host "  $_" }
    exit 1
}
Write-Host "OK: $($expected.Count) files match MANIFEST.sha256"
exit 0
