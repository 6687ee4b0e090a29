package dev.retort.core.store;

import java.io.Serializable;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A file or folder on any Hadoop FileSystem, as an absolute URI: {@code file:/abs/path},
 * {@code hdfs://nn:8020/runs}, {@code s3a://bucket/runs}. A path without a scheme is a local path;
 * a relative one is resolved against the working folder of the JVM that parses it, which is why
 * locations are parsed once on the driver (config binding) and travel to tasks as absolute URIs.
 *
 * <p>{@link #toString()} gives a local location as its plain path (so local runs log and record
 * the paths they always did) and any other as its URI; {@link #of} reads both back.
 */
public final class Location implements Serializable, Comparable<Location> {
  private static final long serialVersionUID = 1L;
  private final URI uri;

  private Location(URI uri) {
    this.uri = uri;
  }

  /**
   * Parses a configured location. A scheme must have a FileSystem on the classpath.
   *
   * @throws IllegalArgumentException for an empty string, a relative URI with a scheme, or a
   *     scheme no FileSystem implements
   */
  public static Location of(String s) {
    if (s == null || s.isBlank()) {
      throw new IllegalArgumentException("empty location");
    }
    String t = s.trim();
    int colon = t.indexOf(':');
    boolean hasScheme = colon > 1 && t.substring(0, colon).matches("[A-Za-z][A-Za-z0-9+.-]*");
    if (!hasScheme) {
      return local(java.nio.file.Path.of(t));
    }
    URI u;
    try {
      u = new URI(t).normalize();
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a URI: " + t + " (" + e.getReason() + ")");
    }
    String scheme = u.getScheme().toLowerCase(Locale.ROOT);
    if (scheme.equals("file")) {
      if (u.getPath() == null || !u.getPath().startsWith("/")) {
        throw new IllegalArgumentException("a file: location must be absolute: " + t);
      }
      return local(java.nio.file.Path.of(u.getPath()));
    }
    if (u.getPath() == null || (!u.getPath().isEmpty() && !u.getPath().startsWith("/")) || u.isOpaque()) {
      throw new IllegalArgumentException("a " + scheme + ": location must be absolute (" + scheme + "://host/path): " + t);
    }
    Stores.requireFileSystem(scheme, t);
    return new Location(strip(u));
  }

  /** A local path, made absolute against this JVM's working folder. */
  public static Location local(java.nio.file.Path p) {
    String abs = p.toAbsolutePath().normalize().toString();
    try {
      return new Location(new URI("file", null, abs, null));
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("bad local path " + p + ": " + e.getMessage(), e);
    }
  }

  /** The location of a Hadoop path (as Hadoop FileSystem listings return them). */
  public static Location of(org.apache.hadoop.fs.Path p) {
    URI u = p.toUri();
    return u.getScheme() == null || "file".equals(u.getScheme()) ? local(java.nio.file.Path.of(u.getPath())) : new Location(strip(u));
  }

  private static URI strip(URI u) {
    String path = u.getPath();
    if (path.length() > 1 && path.endsWith("/")) {
      try {
        return new URI(u.getScheme(), u.getAuthority(), path.substring(0, path.length() - 1), null, null);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(e);
      }
    }
    return u;
  }

  public URI uri() {
    return uri;
  }

  public String scheme() {
    return uri.getScheme();
  }

  public boolean isLocal() {
    return "file".equals(uri.getScheme());
  }

  /** A child: {@code name} may hold several segments ("a/b") but no "..". */
  public Location resolve(String name) {
    if (name.isEmpty() || name.startsWith("/") || name.contains("..")) {
      throw new IllegalArgumentException("not a relative child name: " + name);
    }
    String path = uri.getPath();
    String joined = path.endsWith("/") ? path + name : path + "/" + name;
    try {
      return new Location(strip(new URI(uri.getScheme(), uri.getAuthority(), joined, null, null)));
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** The parent folder, or null at the root. */
  public Location parent() {
    String path = uri.getPath();
    int i = path.lastIndexOf('/');
    if (path.length() <= 1 || i < 0) {
      return null;
    }
    try {
      return new Location(new URI(uri.getScheme(), uri.getAuthority(), i == 0 ? "/" : path.substring(0, i), null, null));
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** The last path segment. */
  public String name() {
    String path = uri.getPath();
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** A sibling with another name. */
  public Location sibling(String name) {
    return parent().resolve(name);
  }

  /** Whether this is {@code other} or lies under it. */
  public boolean startsWith(Location other) {
    if (!java.util.Objects.equals(uri.getScheme(), other.uri.getScheme())
        || !java.util.Objects.equals(uri.getAuthority(), other.uri.getAuthority())) {
      return false;
    }
    String p = uri.getPath();
    String o = other.uri.getPath();
    return p.equals(o) || p.startsWith(o.endsWith("/") ? o : o + "/");
  }

  /** The path of this relative to {@code base} ("a/b"), which it must lie under. */
  public String relativeTo(Location base) {
    if (!startsWith(base)) {
      throw new IllegalArgumentException(this + " is not under " + base);
    }
    String p = uri.getPath();
    String o = base.uri.getPath();
    return p.equals(o) ? "" : p.substring(o.endsWith("/") ? o.length() : o.length() + 1);
  }

  public org.apache.hadoop.fs.Path hadoop() {
    return new org.apache.hadoop.fs.Path(uri);
  }

  /**
   * This location as a local path, for code that needs a local file (DJL checkpoints, HTML charts).
   *
   * @param who names the caller in the error
   * @throws IllegalStateException when the location is not local
   */
  public java.nio.file.Path localPath(String who) {
    if (!isLocal()) {
      throw new IllegalStateException(who + " needs a local path, got " + this
          + ": stage it through a local folder (Stores.copy) or set a local location");
    }
    return java.nio.file.Path.of(uri.getPath());
  }

  /** {@link #localPath(String)} for callers that are local by construction. */
  public java.nio.file.Path localPath() {
    return localPath("this operation");
  }

  @Override
  public int compareTo(Location o) {
    return uri.toString().compareTo(o.uri.toString());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Location l && uri.equals(l.uri);
  }

  @Override
  public int hashCode() {
    return uri.hashCode();
  }

  @Override
  public String toString() {
    return isLocal() ? uri.getPath() : uri.toString();
  }
}
