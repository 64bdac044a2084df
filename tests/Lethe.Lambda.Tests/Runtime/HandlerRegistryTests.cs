using Lethe.Lambda.Runtime;

namespace Lethe.Lambda.Tests.Runtime;

public sealed class HandlerRegistryTests
{
    [Fact]
    public void Resolve_WhenNameIsRegistered_ShouldCreateThatHandler()
    {
        var registry = new HandlerRegistry().Add("echo", () => new EchoHandler());

        registry.Resolve("echo").Should().BeOfType<EchoHandler>();
    }

    [Fact]
    public void Resolve_WhenNameIsUnknown_ShouldNameTheKnownHandlers()
    {
        var registry = new HandlerRegistry().Add("echo", () => new EchoHandler()).Add("ping", () => new EchoHandler());

        var resolve = () => registry.Resolve("pnig");

        resolve.Should().Throw<UnknownHandlerException>().WithMessage("*'pnig'*echo, ping*");
    }

    [Fact]
    public void Add_WhenNameIsTaken_ShouldRefuse()
    {
        var registry = new HandlerRegistry().Add("echo", () => new EchoHandler());

        var again = () => registry.Add("echo", () => new EchoHandler());

        again.Should().Throw<InvalidOperationException>();
    }
}
