using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Lethe.LocalCloud.Gateway;

/// <summary>
/// The local cloud's AWS endpoint: the Lambda Invoke API is answered by our handlers in-process; every other request is
/// forwarded unchanged (signature included) to moto. Started before moto, because moto must know the gateway's port.
/// </summary>
public sealed class AwsGateway : IAsyncDisposable
{
    private const string InvokePrefix = "/2015-03-31/functions/";
    private readonly WebApplication _app;
    private readonly HttpMessageInvoker _motoClient;
    private Uri? _moto;

    private AwsGateway(WebApplication app, HttpMessageInvoker motoClient)
    {
        _app = app;
        _motoClient = motoClient;
    }

    public Uri Endpoint { get; private set; } = null!;

    public int Port => Endpoint.Port;

    /// <summary>How many Invoke calls the gateway answered (a readiness and test aid).</summary>
    public long Invocations => Interlocked.Read(ref _invocations);

    /// <summary>KMS calls seen on their way to moto, by operation and the tenant of their encryption context.</summary>
    public KmsCallCounter KmsCalls { get; } = new();

    /// <summary>Every forwarded AWS call, by operation.</summary>
    public AwsCallCounter AwsCalls { get; } = new();

    private long _invocations;

    public static async Task<AwsGateway> StartAsync(int port, LambdaInvoker invoker, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddHttpForwarder();
        builder.Services.Configure<KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = null);
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        var client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(15),
        });
        var gateway = new AwsGateway(app, client);
        var logger = loggerFactory.CreateLogger<AwsGateway>();

        app.Run(async context =>
        {
            var path = context.Request.Path.Value ?? string.Empty;
            if (HttpMethods.IsPost(context.Request.Method) && path.StartsWith(InvokePrefix, StringComparison.Ordinal) && path.EndsWith("/invocations", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref gateway._invocations);
                var name = LambdaInvoker.NormalizeName(path[InvokePrefix.Length..^"/invocations".Length]);
                await InvokeAsync(context, invoker, name);
                return;
            }

            if (gateway._moto is null)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }

            await gateway.AwsCalls.CountAsync(context.Request);
            if (context.Request.Headers["X-Amz-Target"].ToString() is { Length: > 0 } target && target.StartsWith(KmsCallCounter.TargetPrefix, StringComparison.Ordinal))
            {
                var kms = await KmsCallCounter.InspectAsync(context.Request, target);
                gateway.KmsCalls.Count(kms);
                if (await KmsKeyStateShim.RefuseIfKeyUnusableAsync(context, kms, client, gateway._moto))
                {
                    return;
                }
            }

            // Every request goes to moto as it comes: conditional writes and transactions are made atomic inside moto, under
            // per-item locks (launcher patch 7), so unrelated writes never wait on each other here.
            var error = await forwarder.SendAsync(context, gateway._moto.ToString(), client, ForwarderRequestConfig.Empty, HttpTransformer.Empty);
            if (error != ForwarderError.None)
            {
                logger.LogWarning("Forwarding {Method} {Path} to moto failed: {Error}", context.Request.Method, path, error);
            }
        });

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.GetRequiredFeature<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>().Addresses.First();
        gateway.Endpoint = new Uri(address.Replace("127.0.0.1", "localhost", StringComparison.Ordinal) + "/");
        return gateway;
    }

    /// <summary>Points every non-Lambda request at moto (set once moto is up).</summary>
    public void ForwardTo(Uri moto) => _moto = moto;

    private static async Task InvokeAsync(HttpContext context, LambdaInvoker invoker, string name)
    {
        if (!invoker.Exists(name))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            context.Response.Headers["x-amzn-ErrorType"] = "ResourceNotFoundException";
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(
                new AwsError("ResourceNotFoundException", $"Function not found: {name}"), LocalCloudJsonContext.Default.AwsError));
            return;
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var payload = buffer.ToArray();
        var invocationType = context.Request.Headers["X-Amz-Invocation-Type"].ToString();
        if (string.Equals(invocationType, "Event", StringComparison.OrdinalIgnoreCase))
        {
            // Asynchronous invoke: accepted at once, run in the background like the Lambda service's event queue.
            _ = Task.Run(() => invoker.InvokeAsync(name, payload, CancellationToken.None));
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            return;
        }

        var result = await invoker.InvokeAsync(name, payload, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.Headers["x-amzn-RequestId"] = result.RequestId;
        context.Response.Headers["X-Amz-Executed-Version"] = "$LATEST";
        if (result.FunctionError is not null)
        {
            context.Response.Headers["X-Amz-Function-Error"] = result.FunctionError;
        }

        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(result.Payload, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
