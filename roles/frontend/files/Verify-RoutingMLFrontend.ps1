<#
.SYNOPSIS
Checks a Routing ML frontend release against its manifest: the one manifest check of every
Windows path (the IIS live check, the node check after robocopy, and the offline package).

.DESCRIPTION
The manifest is the sidecar format of docs/formats.md: "<64 hex>  <relative/path>" lines,
two spaces, forward slashes, sorted. Every file under the folder is hashed (hidden files
too); files missing, extra or changed are reported; links and other reparse points are
reported as invalid, never followed.

Offline package (no arguments): run it in the folder where the package was unpacked,
  powershell -NoProfile -ExecutionPolicy Bypass -File .\Verify-RoutingMLFrontend.ps1
(-ExecutionPolicy Bypass because a script unpacked from a downloaded zip carries the
Mark of the Web and a RemoteSigned policy would refuse it; or Unblock-File it first.)
It checks RoutingMLFrontend\ against MANIFEST.sha256 beside it; exit code 0 means the
package is complete and intact, 1 that it is not, 2 that the manifest is malformed.

From Ansible (win_powershell path:), with -Path and -Manifest: fails the task on a
mismatch; with -Site and -Report: reports what the IIS site serves (its physical path,
whether that release matches, whether the site and its application pool run).
#>
[CmdletBinding()]
param(
    [string]$Path,
    [string]$Manifest,
    [string]$Site,
    [switch]$Report
)
$ErrorActionPreference = 'Stop'

function New-OrdinalTable {
    # Names compare exactly, as in the manifest: PowerShell's @{} ignores case.
    New-Object System.Collections.Hashtable ([StringComparer]::Ordinal)
}

function ConvertFrom-RoutingMLManifest([string]$Text, [string]$Prefix) {
    $entries = New-OrdinalTable
    $number = 0
    foreach ($line in ($Text -split "`n")) {
        $number++
        $line = $line.TrimEnd("`r")
        if (-not $line.Trim()) { continue }
        if ($line -notmatch '^([0-9a-fA-F]{64})  (.+)$') {
            throw "manifest line ${number} is not '<sha256>  <relative path>': $line"
        }
        $name = $Matches[2]
        if ($name.StartsWith('/') -or ($name.Split('/') -contains '..') -or $name.Contains('\')) {
            throw "manifest line ${number} names a path outside the release: $name"
        }
        if ($Prefix) {
            if (-not $name.StartsWith($Prefix)) { throw "manifest line ${number} is not under ${Prefix}: $name" }
            $name = $name.Substring($Prefix.Length)
        }
        $entries[$name] = $Matches[1].ToLowerInvariant()
    }
    $entries
}

function Compare-RoutingMLRelease([string]$Folder, [hashtable]$Expected) {
    $root = (Resolve-Path -LiteralPath $Folder).ProviderPath.TrimEnd('\') + '\'
    $actual = New-OrdinalTable
    $invalid = @()
    Get-ChildItem -LiteralPath $root -Recurse -Force | ForEach-Object {
        $relative = $_.FullName.Substring($root.Length).Replace('\', '/')
        if ($_.Attributes -band [IO.FileAttributes]::ReparsePoint) {
            $invalid += "$relative is a link, not a file of the release"
        }
        elseif (-not $_.PSIsContainer) {
            $actual[$relative] = (Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash.ToLowerInvariant()
        }
    }
    $difference = [ordered]@{
        missing = @($Expected.Keys | Where-Object { -not $actual.ContainsKey($_) } | Sort-Object)
        extra   = @($actual.Keys | Where-Object { -not $Expected.ContainsKey($_) } | Sort-Object)
        changed = @($Expected.Keys | Where-Object { $actual.ContainsKey($_) -and $actual[$_] -ne $Expected[$_] } | Sort-Object)
        invalid = @($invalid)
    }
    $count = $difference.missing.Count + $difference.extra.Count + $difference.changed.Count + $difference.invalid.Count
    [pscustomobject]@{ Matches = ($count -eq 0); Difference = $difference; Count = $actual.Count }
}

function Format-RoutingMLDifference($Difference) {
    $parts = foreach ($key in 'missing', 'extra', 'changed', 'invalid') {
        $names = @($Difference[$key])
        if ($names.Count) { '{0} {1} ({2})' -f $names.Count, $key, (($names | Select-Object -First 10) -join ', ') }
    }
    $parts -join '; '
}

$underAnsible = Test-Path -LiteralPath variable:Ansible
if (-not $underAnsible) {
    # The offline package: RoutingMLFrontend\ and MANIFEST.sha256 beside this script.
    $here = Split-Path -Parent $MyInvocation.MyCommand.Path
    if (-not $Path) { $Path = Join-Path $here 'RoutingMLFrontend' }
    try {
        $text = if ($Manifest) { $Manifest } else { [IO.File]::ReadAllText((Join-Path $here 'MANIFEST.sha256')) }
        $expected = ConvertFrom-RoutingMLManifest $text 'RoutingMLFrontend/'
    }
    catch {
        Write-Host "NOT OK: $($_.Exception.Message)"
        exit 2
    }
    $check = Compare-RoutingMLRelease $Path $expected
    if (-not $check.Matches) {
        Write-Host "NOT OK: $(Format-RoutingMLDifference $check.Difference)"
        exit 1
    }
    Write-Host "OK: $($expected.Count) files match MANIFEST.sha256"
    exit 0
}

$Ansible.Changed = $false
$expected = ConvertFrom-RoutingMLManifest $Manifest ''
if ($Site) {
    Import-Module WebAdministration
    # What microsoft.iis.website itself compares when it switches the path.
    $website = Get-Website | Where-Object { $_.Name -eq $Site }
    if (-not $website) {
        $Ansible.Failed = $true
        "IIS site '$Site' does not exist on this node: create it, with its bindings, before deploying"
        return
    }
    $Path = [Environment]::ExpandEnvironmentVariables($website.physicalPath)
}
$result = @{ link_target = $Path; matches = $false; difference = $null }
if ($Path -and (Test-Path -LiteralPath $Path -PathType Container)) {
    $check = Compare-RoutingMLRelease $Path $expected
    $result.matches = $check.Matches
    $result.difference = $check.Difference
}
if ($Site) {
    $result.app_pool = $website.applicationPool
    $result.server_running = ($website.State -eq 'Started') -and
        ((Get-WebAppPoolState -Name $website.applicationPool).Value -eq 'Started')
}
$Ansible.Result = $result
if (-not $Report -and -not $result.matches) {
    $Ansible.Failed = $true
    "$Path does not match its manifest: $(if ($result.difference) { Format-RoutingMLDifference $result.difference } else { 'no such folder' })"
}
