<#
.SYNOPSIS
Prepares a Windows Server (2019/2022) as the Routing ML test host for molecule/windows.

.DESCRIPTION
Run once, as an administrator, on a throw-away server:
  powershell -NoProfile -ExecutionPolicy Bypass -File .\Prepare-RoutingMLTestHost.ps1 -TestPassword <pw> -SharePassword <pw>

It makes:
  - a WinRM HTTPS listener on 5986 with a self-signed certificate, exported to
    C:\RoutingML-molecule-src\winrm-test-ca.cer (copy it to the controller and convert:
    openssl x509 -inform der -in winrm-test-ca.cer -out winrm-test-ca.pem);
  - the local accounts rmltest (administrator, for WinRM) and rmlshare (the share account);
  - IIS with the application pool and site RoutingML on port 8080;
  - the SMB share \\<this host>\RoutingML (C:\RoutingML-share), writable by rmlshare;
  - a stand-in backend service (RoutingMLService.exe: GET /api/health on port 8000) and a
    stand-in RoutingMLInstaller_<version>.exe with the real installer's contract: /S puts
    current\ (VERSION, install_service.ps1, update.bat, backup\, the service) under
    C:\RoutingML-molecule; install_service.ps1 registers the service RoutingML (start mode
    automatic) and starts it; -RemoveOnly stops and deletes it and current\;
  - three builds: <previous> (the scenario's prepare step installs it before each test, so
    that converge backs it up and removes it), <version> (what converge deploys), and a
    failing one whose install_service.ps1 exits 1 (Write-Error), to prove an exit code counts;
  - both installers and their sidecars on the share under releases\<version>\.
Nothing here runs on the controller; the molecule scenario takes over from there.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string]$TestPassword,
    [Parameter(Mandatory)][string]$SharePassword,
    [string]$PreviousVersion = '0.0.0-molecule',
    [string]$Version = '0.0.1-molecule',
    [string]$FailingVersion = '0.0.2-failing'
)
$ErrorActionPreference = 'Stop'
$src = 'C:\RoutingML-molecule-src'
$shareRoot = 'C:\RoutingML-share'
New-Item -ItemType Directory -Force -Path $src, $shareRoot, 'C:\inetpub\routing_ml_molecule\initial' | Out-Null

function Set-LocalAccount([string]$Name, [string]$Password, [switch]$Admin) {
    $secure = ConvertTo-SecureString $Password -AsPlainText -Force
    if (Get-LocalUser -Name $Name -ErrorAction SilentlyContinue) { Set-LocalUser -Name $Name -Password $secure }
    else { New-LocalUser -Name $Name -Password $secure -PasswordNeverExpires | Out-Null }
    if ($Admin -and -not (Get-LocalGroupMember -Group Administrators -Member $Name -ErrorAction SilentlyContinue)) {
        Add-LocalGroupMember -Group Administrators -Member $Name
    }
}
Set-LocalAccount rmltest $TestPassword -Admin
Set-LocalAccount rmlshare $SharePassword

# WinRM over HTTPS with a certificate the controller is told to trust; message encryption stays on.
$cert = New-SelfSignedCertificate -DnsName $env:COMPUTERNAME, ([Net.Dns]::GetHostEntry('').HostName) `
    -CertStoreLocation Cert:\LocalMachine\My -NotAfter (Get-Date).AddYears(1)
Export-Certificate -Cert $cert -FilePath (Join-Path $src 'winrm-test-ca.cer') | Out-Null
Get-ChildItem WSMan:\localhost\Listener | Where-Object { $_.Keys -contains 'Transport=HTTPS' } | Remove-Item -Recurse
New-Item -Path WSMan:\localhost\Listener -Transport HTTPS -Address * -CertificateThumbPrint $cert.Thumbprint -Force | Out-Null
if (-not (Get-NetFirewallRule -Name RoutingML-WinRM-HTTPS -ErrorAction SilentlyContinue)) {
    New-NetFirewallRule -Name RoutingML-WinRM-HTTPS -DisplayName 'WinRM HTTPS (Routing ML tests)' -Protocol TCP -LocalPort 5986 -Action Allow | Out-Null
}

# IIS: the site the frontend role switches, and its application pool.
Install-WindowsFeature Web-Server, Web-Scripting-Tools | Out-Null
Import-Module WebAdministration
Set-Content -LiteralPath 'C:\inetpub\routing_ml_molecule\initial\index.html' -Value '<html>initial</html>'
if (-not (Test-Path IIS:\AppPools\RoutingML)) { New-WebAppPool -Name RoutingML | Out-Null }
if (-not (Get-Website | Where-Object { $_.Name -eq 'RoutingML' })) {
    New-Website -Name RoutingML -Port 8080 -PhysicalPath 'C:\inetpub\routing_ml_molecule\initial' -ApplicationPool RoutingML | Out-Null
}
foreach ($port in 8080, 8000) {
    if (-not (Get-NetFirewallRule -Name "RoutingML-$port" -ErrorAction SilentlyContinue)) {
        New-NetFirewallRule -Name "RoutingML-$port" -DisplayName "Routing ML tests $port" -Protocol TCP -LocalPort $port -Action Allow | Out-Null
    }
}

# The share the hosts pull from (SOP 4.3): writable by the share account only.
if (-not (Get-SmbShare -Name RoutingML -ErrorAction SilentlyContinue)) {
    New-SmbShare -Name RoutingML -Path $shareRoot -FullAccess "$env:COMPUTERNAME\rmlshare", 'BUILTIN\Administrators' -EncryptData $true | Out-Null
}
$acl = Get-Acl $shareRoot
$acl.AddAccessRule((New-Object Security.AccessControl.FileSystemAccessRule("$env:COMPUTERNAME\rmlshare", 'Modify', 'ContainerInherit,ObjectInherit', 'None', 'Allow')))
Set-Acl $shareRoot $acl

# The stand-in service: answers /api/health with its version and the database variable's presence.
$serviceSource = @'
using System; using System.IO; using System.Net; using System.ServiceProcess; using System.Text; using System.Threading;
public class RoutingMLService : ServiceBase {
    HttpListener listener; Thread worker;
    public static void Main() { ServiceBase.Run(new RoutingMLService()); }
    public RoutingMLService() { ServiceName = "RoutingML"; }
    protected override void OnStart(string[] args) {
        string version = File.ReadAllText(Path.Combine(AppDomain.CurrentDomain.BaseDirectory, "VERSION")).Trim();
        string database = Environment.GetEnvironmentVariable("ROUTING_ML_RSL_DATABASE_URL") ?? "";
        if (database.Length == 0) throw new InvalidOperationException("ROUTING_ML_RSL_DATABASE_URL is not set");
        listener = new HttpListener(); listener.Prefixes.Add("http://+:8000/"); listener.Start();
        worker = new Thread(() => {
            while (listener.IsListening) {
                try {
                    var context = listener.GetContext();
                    byte[] body = Encoding.UTF8.GetBytes("{\"status\": \"ok\", \"version\": \"" + version + "\", \"database\": \"configured\"}");
                    context.Response.StatusCode = context.Request.Url.AbsolutePath == "/api/health" ? 200 : 404;
                    context.Response.ContentType = "application/json";
                    context.Response.OutputStream.Write(body, 0, body.Length); context.Response.Close();
                } catch (HttpListenerException) { return; }
            }
        });
        worker.IsBackground = true; worker.Start();
    }
    protected override void OnStop() { listener.Stop(); }
}
'@
$serviceExe = Join-Path $src 'RoutingMLService.exe'
Add-Type -TypeDefinition $serviceSource -ReferencedAssemblies System.ServiceProcess -OutputAssembly $serviceExe -OutputType WindowsApplication

function New-InstallServiceScript([switch]$Failing) {
    $fail = if ($Failing) { "Write-Error 'install_service.ps1: this build cannot register its service'; exit 1" } else { '' }
    @"
param([switch]`$RemoveOnly)
`$ErrorActionPreference = 'Stop'
`$current = `$PSScriptRoot
`$service = Get-Service -Name RoutingML -ErrorAction SilentlyContinue
if (`$RemoveOnly) {
    if (`$service) {
        if (`$service.Status -ne 'Stopped') { Stop-Service -Name RoutingML -Force; `$service.WaitForStatus('Stopped', '00:00:30') }
        & sc.exe delete RoutingML | Out-Null
    }
    Remove-Item -LiteralPath `$current -Recurse -Force
    exit 0
}
$fail
if (-not `$service) {
    New-Service -Name RoutingML -BinaryPathName (Join-Path `$current 'RoutingMLService.exe') -StartupType Automatic -DisplayName 'Routing ML' | Out-Null
}
Start-Service -Name RoutingML
exit 0
"@
}

# The stand-in installer: a console program carrying its payload, with the real one's contract.
function New-StandInInstaller([string]$InstallerVersion, [switch]$Failing) {
    $payload = @{
        'VERSION' = [Text.Encoding]::UTF8.GetBytes($InstallerVersion)
        'install_service.ps1' = [Text.Encoding]::UTF8.GetBytes((New-InstallServiceScript -Failing:$Failing))
        'update.bat' = [Text.Encoding]::ASCII.GetBytes("@echo off`r`nrem Routing ML $InstallerVersion update`r`n")
        'backup\README.txt' = [Text.Encoding]::ASCII.GetBytes("Routing ML $InstallerVersion backup folder`r`n")
        'RoutingMLService.exe' = [IO.File]::ReadAllBytes($serviceExe)
    }
    $entries = ($payload.Keys | ForEach-Object { '{{ @"{0}", "{1}" }}' -f $_, [Convert]::ToBase64String($payload[$_]) }) -join ",`n"
    $installerSource = @"
using System; using System.IO;
public static class Installer {
    static readonly string[][] Payload = new string[][] { $entries };
    public static int Main(string[] args) {
        if (Array.IndexOf(args, "/S") < 0) { Console.Error.WriteLine("only the silent install (/S) is supported"); return 2; }
        string current = @"C:\RoutingML-molecule\current";
        if (Directory.Exists(current)) Directory.Delete(current, true);
        foreach (var entry in Payload) {
            string target = Path.Combine(current, entry[0]);
            Directory.CreateDirectory(Path.GetDirectoryName(target));
            File.WriteAllBytes(target, Convert.FromBase64String(entry[1]));
        }
        return 0;
    }
}
"@
    $folder = Join-Path $shareRoot "releases\$InstallerVersion"
    New-Item -ItemType Directory -Force -Path $folder | Out-Null
    $exe = Join-Path $folder "RoutingMLInstaller_$InstallerVersion.exe"
    Add-Type -TypeDefinition $installerSource -OutputAssembly $exe -OutputType ConsoleApplication
    $name = Split-Path -Leaf $exe
    [IO.File]::WriteAllText("$exe.sha256", (Get-FileHash -Algorithm SHA256 $exe).Hash.ToLower() + "  $name`n")
    $exe
}
$previous = New-StandInInstaller $PreviousVersion
$good = New-StandInInstaller $Version
$bad = New-StandInInstaller $FailingVersion -Failing
# The failing script on its own too, for the scenario's check that its exit code counts.
New-Item -ItemType Directory -Force -Path (Join-Path $src 'failing') | Out-Null
Set-Content -LiteralPath (Join-Path $src 'failing\install_service.ps1') -Value (New-InstallServiceScript -Failing) -Encoding UTF8

[Environment]::SetEnvironmentVariable('ROUTING_ML_RSL_DATABASE_URL', 'access:///C:/RoutingML-molecule/data/RoutingML_RSL.accdb', 'Machine')
New-Item -ItemType Directory -Force -Path 'C:\RoutingML-molecule\data' | Out-Null
Set-Content -LiteralPath 'C:\RoutingML-molecule\data\RoutingML_RSL.accdb' -Value 'molecule stand-in database'

Write-Host "Prepared. Installers: $previous (the scenario's prepare step installs it), $good, $bad"
Write-Host "On the controller:"
Write-Host "  RML_WINDOWS_HOST=$([Net.Dns]::GetHostEntry('').HostName) RML_WINDOWS_USER=rmltest RML_WINDOWS_PASSWORD=<TestPassword>"
Write-Host "  RML_WINDOWS_SHARE_PASSWORD=<SharePassword> RML_WINDOWS_CA=<winrm-test-ca.pem converted from $src\winrm-test-ca.cer>"
