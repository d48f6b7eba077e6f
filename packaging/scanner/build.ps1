# Builds the gate app as a desktop bundle on Windows: one folder with bilten-gate.exe and
# everything it needs, Python and Qt included, then checks it with its self-test. Linux:
# build.sh. Needs Python 3.11+ with the scanner and dev extras installed:
#   py -m venv .venv; .venv\Scripts\pip install ".[scanner]" pyinstaller
#
#   powershell -ExecutionPolicy Bypass -File packaging\scanner\build.ps1 [-Dist DIR] [-Work DIR] [-Python PY] [-NoCheck]
#
# Result: DIR\bilten-gate\ (default dist\bilten-gate\) and DIR\bilten-gate-windows.zip.
param(
    [string]$Dist = "",
    [string]$Work = "",
    [string]$Python = "",
    [switch]$NoCheck
)
$ErrorActionPreference = "Stop"

$Here = Split-Path -Parent $MyInvocation.MyCommand.Path
$Repo = Resolve-Path (Join-Path $Here "..\..")
if (-not $Dist) { $Dist = Join-Path $Repo "dist" }
if (-not $Work) { $Work = Join-Path $Repo "build\bilten-gate" }
if (-not $Python) {
    $Python = Join-Path $Repo ".venv\Scripts\python.exe"
    if (-not (Test-Path $Python)) { $Python = "python" }
}

& $Python -c "import PyInstaller"
if ($LASTEXITCODE -ne 0) { throw "PyInstaller is not installed for $Python (pip install pyinstaller)" }

$Started = Get-Date
Write-Host "Building the gate app bundle into $Dist\bilten-gate"
& $Python -m PyInstaller --noconfirm --clean --log-level WARN `
    --distpath $Dist --workpath $Work (Join-Path $Here "bilten-gate.spec")
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed ($LASTEXITCODE)" }
$Seconds = [int]((Get-Date) - $Started).TotalSeconds
Write-Host "Built in $Seconds s"

if (-not $NoCheck) {
    Write-Host "Self-test of the bundle (offscreen):"
    & (Join-Path $Dist "bilten-gate\bilten-gate.exe") self-test --offscreen
    if ($LASTEXITCODE -ne 0) { throw "the bundle's self-test failed ($LASTEXITCODE)" }
}

$Archive = Join-Path $Dist "bilten-gate-windows.zip"
if (Test-Path $Archive) { Remove-Item $Archive }
Compress-Archive -Path (Join-Path $Dist "bilten-gate") -DestinationPath $Archive
Write-Host "Bundle: $Dist\bilten-gate\bilten-gate.exe   Archive: $Archive"
