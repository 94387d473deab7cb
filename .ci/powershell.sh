#!/usr/bin/env bash
# Sourced by .ci/run: makes pwsh 7.6.9 and Pester 5.7.1 available, installed once into a cache OUTSIDE the
# repository ($CICDOPS_CI_CACHE, default ~/.cache/cicdops-ci) and reused from there; puts pwsh on PATH and
# the cached modules on PSModulePath. pwsh is a .NET tool; Pester comes from NuGet through a throwaway
# project (outside the repository, so its central package management does not apply).
cicd_pwsh_version=7.6.9
cicd_pester_version=5.7.1
cicd_cache="${CICDOPS_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cicdops-ci}"
cicd_pwsh_dir="$cicd_cache/pwsh-$cicd_pwsh_version"
cicd_modules_dir="$cicd_cache/modules"
cicd_pester_dir="$cicd_modules_dir/Pester/$cicd_pester_version"

if [ ! -x "$cicd_pwsh_dir/pwsh" ]; then
  echo "installing pwsh $cicd_pwsh_version into $cicd_pwsh_dir"
  rm -rf "$cicd_pwsh_dir" # a half-finished install would make dotnet tool install refuse
  dotnet tool install --tool-path "$cicd_pwsh_dir" PowerShell --version "$cicd_pwsh_version" >/dev/null
fi

if [ ! -f "$cicd_pester_dir/Pester.psd1" ]; then
  echo "installing Pester $cicd_pester_version into $cicd_pester_dir"
  cicd_restore=$(mktemp -d)
  cat >"$cicd_restore/PesterDownload.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net8.0</TargetFramework>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="Pester" Version="[$cicd_pester_version]" />
  </ItemGroup>
</Project>
XML
  # The package lands in the NuGet cache; its tools/ folder is the module.
  cicd_nuget=$(cd "$cicd_restore" && dotnet nuget locals global-packages --list | sed -E 's/^[^:]*: *//')
  (cd "$cicd_restore" && dotnet restore --nologo -v q >/dev/null)
  rm -rf "$cicd_pester_dir" && mkdir -p "$cicd_pester_dir"
  cp -R "${cicd_nuget%/}/pester/$cicd_pester_version/tools/." "$cicd_pester_dir/"
  rm -rf "$cicd_restore"
fi

export PATH="$cicd_pwsh_dir:$PATH"
export PSModulePath="$cicd_modules_dir${PSModulePath:+:$PSModulePath}"
echo "pwsh $("$cicd_pwsh_dir/pwsh" -NoProfile -NoLogo -Command '$PSVersionTable.PSVersion.ToString()') and Pester $cicd_pester_version from $cicd_cache"
