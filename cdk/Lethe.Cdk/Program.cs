using Amazon.CDK;
using Lethe.Cdk;
using Lethe.Cdk.Stacks;

// cdk.json runs this. Publish the AOT binaries first (see README: Deploying).
var app = new App();
var stage = LetheApp.Context(app, "stage", "dev");
var functions = LetheApp.Context(app, "functionsAsset", "artifacts/lambda/functions");
var api = LetheApp.Context(app, "apiAsset", "artifacts/lambda/api");
foreach (var asset in new[] { functions, api })
{
    if (!Directory.Exists(asset))
    {
        await Console.Error.WriteLineAsync(
            $"lethe cdk: {asset} does not exist. Publish first: dotnet publish functions/Lethe.Functions -c Release -r linux-x64 -o artifacts/lambda/functions " +
            "and dotnet publish functions/Lethe.Api -c Release -r linux-x64 -o artifacts/lambda/api (or pass -c functionsAsset=… -c apiAsset=…).");
        return 1;
    }
}

// The API validates tokens of the tenant-facing identity provider; there is no safe default for it.
var issuer = LetheApp.Context(app, "jwtIssuer", string.Empty);
var jwks = LetheApp.Context(app, "jwksUrl", string.Empty);
if (issuer.Length == 0 || !jwks.StartsWith("https://", StringComparison.Ordinal))
{
    await Console.Error.WriteLineAsync("lethe cdk: pass the identity provider: -c jwtIssuer=https://… -c jwksUrl=https://…/jwks.json [-c jwtAudience=lethe-api].");
    return 1;
}

LetheApp.Build(app, stage, new StatelessSettings(
    functions,
    api,
    LetheApp.Context(app, "webAdapterLayerArn", LetheApp.DefaultWebAdapterLayerArn),
    issuer,
    LetheApp.Context(app, "jwtAudience", "lethe-api"),
    jwks,
    LetheApp.Context(app, "workflows", "workflows")));
app.Synth();
return 0;
