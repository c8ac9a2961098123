// The ABI as this host sees it: every generated message schema and rpc table, from generated/js/.
// Nothing here is written by hand: change the .proto files and run `make codegen`.
// (Needs ./register.mjs in effect, so the generated code finds @bufbuild/protobuf.)

export * from "../../../../generated/js/reglet/v1/common_pb.js";
export * from "../../../../generated/js/reglet/v1/dns_pb.js";
export * from "../../../../generated/js/reglet/v1/exec_pb.js";
export * from "../../../../generated/js/reglet/v1/fs_pb.js";
export * from "../../../../generated/js/reglet/v1/http_pb.js";
export * from "../../../../generated/js/reglet/v1/log_pb.js";
export * from "../../../../generated/js/reglet/v1/manifest_pb.js";
export * from "../../../../generated/js/reglet/v1/plugin_pb.js";
export * from "../../../../generated/js/reglet/v1/smtp_pb.js";
export * from "../../../../generated/js/reglet/v1/tcp_pb.js";
export * from "../../../../generated/js/reglet/v1/tls_pb.js";
export * as services from "../../../../generated/js/reglet/v1/services.js";
