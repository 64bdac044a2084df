using Lethe.Api.Auth;
using Lethe.Api.Configuration;
using Lethe.Api.WebConsole;
using Lethe.Api.Endpoints;
using Lethe.Api.Problems;
using Lethe.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Api.Auditing;
using Lethe.Aws.Audit;
using Lethe.Aws.Certificates;
using Lethe.Aws.Erasure;
using Lethe.Aws.Jobs;
using Lethe.Aws.StepFunctions;
using Lethe.Domain.Certificates;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Aws.Evidence;
using Lethe.Aws.Keys;
using Lethe.Aws.Records;
using Lethe.Domain.Records;
using Lethe.Aws.Tenants;
using Lethe.Domain.Audit;
using Lethe.Domain.Crypto;
using Lethe.Domain.Tenancy;
using Lethe.Lambda.Logging;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Scalar.AspNetCore;
using System.Threading.RateLimiting;
using Lethe.Domain.Requests;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Errors;

namespace Lethe.Api;

/// <summary>
/// Builds the API: the same composition runs under Kestrel in AWS (behind the Lambda Web Adapter), under <c>./lethe up</c>,
/// and in the integration tests.
/// </summary>
public static partial class ApiHost
{
    public const string CorrelationHeader = "X-Correlation-Id";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        configure?.Invoke(builder);
        AddServices(builder);
        var app = builder.Build();
        UsePipeline(app);
        return app;
    }

    public static void AddServices(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WebHost.ConfigureKestrel(o =>
        {
            o.AddServerHeader = false;
            o.Limits.MaxRequestBodySize = MaxBodyBytes;
            // A %00 in a request line reaches our pipeline (and its problem+json) instead of Kestrel's bare 400.
            o.ConfigureEndpointDefaults(endpoint => endpoint.Use(NulTargetRewriter.Middleware));
        });
        builder.Logging.ClearProviders().AddPowertoolsJsonConsole(o =>
        {
            o.Service = "lethe-api";
            o.Redact = SubjectPaths.Redact;
        });
        // Framework request logs would double every line; our own logs and warnings are what operators read.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
            // API.md: JSON depth 64; and a body has one value per name (idempotency compares canonical JSON, which has no duplicates).
            o.SerializerOptions.MaxDepth = MaxJsonDepth;
            o.SerializerOptions.AllowDuplicateProperties = false;
        });
        // A body that cannot be bound is thrown as BadHttpRequestException, so the problem names the field it failed at.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

        builder.Services.AddOptions<LetheApiOptions>().BindConfiguration(LetheApiOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<LetheApiOptions>, LetheApiOptionsValidator>();
        builder.Services.AddSingleton(TimeProvider.System);

        builder.Services.AddLetheAdapters();

        builder.Services.AddHttpClient();
        // A slow identity provider must not hold requests for the default 100 s: the cached keys serve meanwhile.
        builder.Services.AddHttpClient("jwks", c => c.Timeout = TimeSpan.FromSeconds(10));
        builder.Services.AddHttpClient(Auditing.SecurityLog.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(3));
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<LetheApiOptions>, IHttpClientFactory, TimeProvider>(ConfigureJwt);

        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            if (problem.Type is null || !problem.Type.StartsWith(ProblemTypes.Base, StringComparison.Ordinal))
            {
                problem.Type = ProblemTypes.Uri(problem.Status switch
                {
                    StatusCodes.Status404NotFound => "not-found",
                    StatusCodes.Status405MethodNotAllowed => "method-not-allowed",
                    >= 500 => "internal-error",
                    _ => "bad-request",
                });
            }

            if (problem.Status >= 500)
            {
                // Never leak an exception message or stack to a client; the log has it under the correlation id.
                problem.Title = "Internal error";
                problem.Detail = "The request failed on our side. It was logged; quote the correlationId when you report it.";
            }

            switch (context.Exception)
            {
                case InvalidCursorException:
                    (problem.Type, problem.Title, problem.Detail) = (ProblemTypes.Uri("invalid-cursor"), "Invalid cursor", "The cursor was not issued for this list.");
                    break;
                case TenantKeyUnavailableException:
                    (problem.Type, problem.Title, problem.Detail) = (ProblemTypes.Uri("tenant-key-unavailable"), "Tenant key unavailable",
                        "The tenant's encryption key is disabled or unusable; nothing was read or written. It works again once the key is re-enabled.");
                    break;
                case TenantNotActiveException:
                    (problem.Type, problem.Title, problem.Detail) = (ProblemTypes.Uri("tenant-offboarding"), "Tenant is being offboarded",
                        "This tenant is being offboarded: it accepts no changes and its subjects' data is no longer served.");
                    break;
                case EnvelopeException { Reason: "key-shredded" }:
                    (problem.Type, problem.Title, problem.Detail) = (ProblemTypes.Uri("subject-key-shredded"), "Data crypto-shredded",
                        "The subject's key was destroyed: this data can no longer be read by anyone.");
                    break;
                case LetheException { ErrorType: TransientException.Name }:
                    // Throttling or an outage of an AWS service behind Lethe that outlasted the SDK's retries: the caller may try again.
                    (problem.Type, problem.Title, problem.Detail) = (ProblemTypes.Uri("unavailable"), "Temporarily unavailable",
                        $"A service behind Lethe is busy or unavailable. Try again after {TransientRetryAfterSeconds} seconds; a write with an Idempotency-Key is safe to repeat.");
                    context.HttpContext.Response.Headers.RetryAfter = TransientRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    break;
            }

            if (context.Exception is BadHttpRequestException bad)
            {
                if (problem.Status == StatusCodes.Status413PayloadTooLarge)
                {
                    (problem.Type, problem.Title, problem.Detail) = (ProblemTypes.Uri("payload-too-large"), "The body is too large",
                        $"A request body is at most {MaxBodyBytes / 1024 / 1024} MiB. Nothing was changed.");
                }
                else
                {
                    problem.Type = ProblemTypes.Uri("malformed-request");
                    problem.Title = "The request could not be read";
                    problem.Detail = "The body is not valid JSON of the expected shape. Nothing was changed.";
                    if (MalformedField(bad) is { } field)
                    {
                        problem.Extensions["errors"] = new Dictionary<string, string[]>(StringComparer.Ordinal) { [field.Name] = [field.Message] };
                    }
                }
            }

            problem.Detail ??= problem.Title;
            if (context.HttpContext.Items[CorrelationHeader] is string correlation)
            {
                problem.Extensions["correlationId"] = correlation;
            }
        });
        builder.Services.AddRateLimiter(o =>
        {
            // One token bucket per tenant (API.md), spent only by callers authenticated for that tenant (after authentication):
            // anonymous or foreign-tenant traffic aimed at a tenant's routes draws from a bucket of its own client address, so
            // nobody can drain another tenant's limit; a data subject's token (the privacy page, held by end users) draws from a
            // bucket of its own subject, so one person cannot lock the tenant's app out. Routes without a tenant (health, public
            // keys, docs) are not limited.
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                if (http.Request.RouteValues["tenantId"] is not string tenant)
                {
                    return RateLimitPartition.GetNoLimiter(string.Empty);
                }

                var principal = TenantGuard.ReadPrincipal(http.User);
                var own = principal is not null && (principal.Tenant == tenant || principal.IsPlatformAdmin);
                var partition = !own ? $"client:{http.Connection.RemoteIpAddress}"
                    : principal!.Roles.Contains(Lethe.Domain.Security.Roles.Subject, StringComparer.Ordinal) ? $"subject:{tenant}:{principal.Sub}"
                    : $"tenant:{tenant}";
                var limits = http.RequestServices.GetRequiredService<IOptions<LetheApiOptions>>().Value.RateLimit;
                return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = limits.Burst,
                    TokensPerPeriod = limits.PermitsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            o.OnRejected = (context, cancellationToken) => new ValueTask(
                ProblemTypes.TooManyRequests(context.HttpContext, context.Lease, "This tenant sent more requests than its limit allows.").ExecuteAsync(context.HttpContext));
        });
        builder.Services.AddOpenApi("v1", o => o.AddDocumentTransformer(OpenApiContract.TransformAsync));
    }

    /// <summary>API.md: JSON bodies up to 1 MiB (413 beyond) and nesting up to 64 levels (400 beyond).</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>What a 503 (a throttled or unavailable AWS service behind Lethe) asks the caller to wait, in Retry-After.</summary>
    public const int TransientRetryAfterSeconds = 5;
    public const int MaxJsonDepth = 64;

    /// <summary>
    /// Where a JSON body failed, as a field name for the problem's <c>errors</c> (a short prefix only: a name is never echoed
    /// whole), and why, in words of our own (the serializer's message could quote the input).
    /// </summary>
    private static (string Name, string Message)? MalformedField(BadHttpRequestException bad)
    {
        if (bad.InnerException is not System.Text.Json.JsonException json)
        {
            // Query and route values that do not bind ("Failed to bind parameter \"int? limit\" from \"abc\"."): the name, never the value.
            var parameter = BoundParameter().Match(bad.Message);
            return parameter.Success
                ? (ProblemTypes.ShortName(parameter.Groups["name"].Value), bad.Message.StartsWith("Required", StringComparison.Ordinal) ? "This value is required." : "Not a valid value for this parameter.")
                : null;
        }

        var path = json.Path is { Length: > 1 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : json.Path is "$" or null ? "body" : json.Path;
        var message = json.Message.Contains("duplicate", StringComparison.OrdinalIgnoreCase)
            ? "This name appears more than once in the object; a body has one value per name."
            : json.Message.Contains("depth", StringComparison.OrdinalIgnoreCase)
                ? $"The JSON is nested deeper than {MaxJsonDepth} levels."
                : "Not a JSON value of the expected type here (or the JSON ends early).";
        return (ProblemTypes.ShortName(path), message);
    }

    private static void ConfigureJwt(JwtBearerOptions jwt, IOptions<LetheApiOptions> lethe, IHttpClientFactory http, TimeProvider clock)
    {
        var options = lethe.Value;
        var auth = options.Auth;
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = auth.Issuer,
            ValidAudience = auth.Audience,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromMinutes(1),
            NameClaimType = "sub",
            RoleClaimType = "roles",
        };
        if (auth.Mode == AuthMode.Local)
        {
            jwt.TokenValidationParameters.IssuerSigningKey = DevSigningKey.LoadOrCreate(auth.DevKeyFile!);
            jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
        }
        else
        {
            jwt.ConfigurationManager = new JwksConfigurationManager(
                http.CreateClient("jwks"), new Uri(auth.JwksUrl!), auth.Issuer, auth.JwksRefreshInterval, clock);
            jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256];
        }

        // The tenant guard answers 401 itself (as problem+json, after the route is known); no handler-level challenge body.
        jwt.Events = new JwtBearerEvents
        {
            OnChallenge = context =>
            {
                context.HandleResponse();
                return Task.CompletedTask;
            },
        };
    }

    public static void UsePipeline(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(async (context, next) =>
        {
            var incoming = context.Request.Headers[CorrelationHeader].ToString();
            var correlation = IsSafeCorrelationId(incoming) ? incoming : Guid.NewGuid().ToString("N");
            context.Items[CorrelationHeader] = correlation;
            // Set when the response starts: the exception handler clears headers set earlier.
            context.Response.OnStarting(() =>
            {
                context.Response.Headers[CorrelationHeader] = correlation;
                return Task.CompletedTask;
            });
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Lethe.Api");
            using var scope = logger.BeginScope(LogScope.ForCorrelation(correlation));
            await next(context);
        });
        // Denied and refused requests (401, 403, 429) to the 12-month security log, whichever part of the pipeline answered.
        app.Use(app.Services.GetRequiredService<SecurityLog>().RecordAsync);
        // A body that cannot be read (malformed JSON, wrong types, too large) is the caller's error, not ours.
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // A caller's bad request is answered, not logged as our failure.
            SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException,
            StatusCodeSelector = ex => ex switch
            {
                BadHttpRequestException bad => bad.StatusCode,
                InvalidCursorException => StatusCodes.Status400BadRequest,
                TenantKeyUnavailableException => StatusCodes.Status423Locked,
                TenantNotActiveException => StatusCodes.Status409Conflict,
                EnvelopeException { Reason: "key-shredded" } => StatusCodes.Status410Gone,
                LetheException { ErrorType: TransientException.Name } => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status500InternalServerError,
            },
        });
        app.UseStatusCodePages();
        app.Use(LimitRequestAsync);
        app.UseRouting();
        app.Use(RefuseControlCharactersInPathAsync);
        app.UseAuthentication();
        app.UseRateLimiter();

        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", o => o.WithTitle("Lethe API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        app.MapHealthEndpoints();
        app.MapTenantEndpoints();
        app.MapSettingsEndpoints();
        app.MapRecordEndpoints();
        app.MapConsentEndpoints();
        app.MapRestrictionEndpoints();
        app.MapConnectorEndpoints();
        app.MapUploadEndpoints();
        app.MapReviewEndpoints();
        app.MapAuditEndpoints();
        app.MapInventoryEndpoints();
        app.MapRequestEndpoints();
        app.MapApprovalEndpoints();
        app.MapNotificationEndpoints();
        app.MapRetentionEndpoints();
        app.MapReplayEndpoints();
        app.MapKeyEndpoints();
        app.MapOffboardingEndpoints();
        app.MapArchiveEndpoints();
        app.MapCertificateKeyEndpoints();
        app.MapConsoleEndpoints();
    }

    /// <summary>
    /// Every request body is limited to <see cref="MaxBodyBytes"/> (413 problem beyond; Kestrel enforces the same limit where it
    /// serves). A change, once received, is carried out and journaled even if the client goes away meanwhile: a client abort
    /// must never split a write from its audit event, so writes run on a server-side deadline instead of the connection.
    /// </summary>
    private static async Task LimitRequestAsync(HttpContext context, RequestDelegate next)
    {
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            throw new BadHttpRequestException("The request body is too large.", StatusCodes.Status413PayloadTooLarge);
        }

        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }
        else if (context.Request.ContentLength is null && !HttpMethods.IsGet(context.Request.Method))
        {
            context.Request.Body = new LimitedReadStream(context.Request.Body, MaxBodyBytes);
        }

        if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
        {
            await next(context);
            return;
        }

        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        deadline.CancelAfter(WriteDeadline);
        context.RequestAborted = deadline.Token;
        await next(context);
    }

    /// <summary>
    /// A path parameter with a NUL (which <see cref="NulTargetRewriter"/> turns into U+FFFD) or another control character is
    /// a 400 problem naming the parameter, before any guard or store sees it.
    /// </summary>
    private static async Task RefuseControlCharactersInPathAsync(HttpContext context, RequestDelegate next)
    {
        static bool Bad(string text) => text.Any(c => char.IsControl(c) || c == '\uFFFD');
        var named = context.Request.RouteValues.Where(v => v.Value is string text && Bad(text)).Select(v => v.Key).ToList();
        if (named.Count == 0 && Bad(context.Request.Path.Value ?? string.Empty))
        {
            named.Add("path");
        }

        if (named.Count > 0)
        {
            await ProblemTypes.Validation(context, named.ToDictionary(n => n, _ => ControlCharacterError, StringComparer.Ordinal)).ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    private static readonly string[] ControlCharacterError = ["A path segment may not contain NUL or other control characters."];

    /// <summary>How long a change may take once received (API Gateway answers after 29 s anyway).</summary>
    private static readonly TimeSpan WriteDeadline = TimeSpan.FromSeconds(60);

    [System.Text.RegularExpressions.GeneratedRegex("parameter \"(?:[^\"]*\\s)?(?<name>[A-Za-z_][A-Za-z0-9_]*)\"", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex BoundParameter();

    private static bool IsSafeCorrelationId(string value) =>
        value.Length is > 0 and <= 128 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');
}
