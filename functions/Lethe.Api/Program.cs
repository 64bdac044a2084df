using Lethe.Api;

// In AWS the Lambda Web Adapter proxies API Gateway events to this Kestrel server (port from AWS_LWA_PORT / ASPNETCORE_URLS).
await ApiHost.Build(args).RunAsync();

/// <summary>The entry point, visible to WebApplicationFactory in the integration tests.</summary>
public partial class Program;
