// Works around (webrtcbin 1.22 with libnice 0.1.21's `nicesrc`): the element
// quits its streaming thread's GMainLoop once per received packet (a wakeup
// write, a poll and a read per packet); ours is registered under its name.
// See nice_source.hpp.
#include "media/webrtcbin/nice_source.hpp"

#include "media/gst_ptr.hpp"

#include <agent.h>
#include <gst/base/gstpushsrc.h>

namespace vr::media {
namespace {

struct VrNiceSrc {
  GstPushSrc parent;
  NiceAgent* agent;  // owned
  guint stream, component;
  GMainContext* context;  // owned; libnice delivers this stream's packets here
  // Under the object lock: the streaming thread fills and empties the queue
  // (libnice calls back in the context it iterates), unlock() sets flushing.
  GQueue queue;
  gboolean flushing;
};

struct VrNiceSrcClass {
  GstPushSrcClass parent_class;
};

enum {
  PROP_AGENT = 1,
  PROP_STREAM,
  PROP_COMPONENT
};

G_DEFINE_TYPE(VrNiceSrc, vr_nice_src, GST_TYPE_PUSH_SRC)

VrNiceSrc* self_of(gpointer p) { return reinterpret_cast<VrNiceSrc*>(p); }

void clear_queue(VrNiceSrc* self) {
  GST_OBJECT_LOCK(self);
  while (auto* buffer = static_cast<GstBuffer*>(g_queue_pop_head(&self->queue)))
    gst_buffer_unref(buffer);
  GST_OBJECT_UNLOCK(self);
}

// Runs on the streaming thread, inside the g_main_context_iteration of create.
void on_packet(NiceAgent*, guint, guint, guint len, gchar* data, gpointer user_data) {
  VrNiceSrc* self = self_of(user_data);
  // libnice calls this from its socket's GSource. GLib blocks a source while
  // it dispatches and, unblocking it, re-adds its fd with a wakeup of the
  // context: a write to the context's eventfd, then a poll that returns at
  // once and a read, three syscalls per received burst for nothing. A source
  // that may recurse is not blocked; nothing here iterates the context again.
  if (GSource* source = g_main_current_source(); source && !g_source_get_can_recurse(source))
    g_source_set_can_recurse(source, TRUE);
  GstBuffer* buffer = gst_buffer_new_allocate(nullptr, len, nullptr);
  gst_buffer_fill(buffer, 0, data, len);
  GST_OBJECT_LOCK(self);
  g_queue_push_tail(&self->queue, buffer);
  GST_OBJECT_UNLOCK(self);
}

GstFlowReturn create(GstPushSrc* src, GstBuffer** out) {
  VrNiceSrc* self = self_of(src);
  GST_OBJECT_LOCK(self);
  while (g_queue_is_empty(&self->queue) && !self->flushing) {
    GST_OBJECT_UNLOCK(self);
    // Blocks in poll until a socket or timer of this stream dispatches, or
    // unlock() wakes the context.
    g_main_context_iteration(self->context, TRUE);
    GST_OBJECT_LOCK(self);
  }
  if (self->flushing) {
    GST_OBJECT_UNLOCK(self);
    return GST_FLOW_FLUSHING;
  }
  *out = static_cast<GstBuffer*>(g_queue_pop_head(&self->queue));
  GST_OBJECT_UNLOCK(self);
  return GST_FLOW_OK;
}

gboolean unlock(GstBaseSrc* src) {
  VrNiceSrc* self = self_of(src);
  GST_OBJECT_LOCK(self);
  self->flushing = TRUE;
  GST_OBJECT_UNLOCK(self);
  g_main_context_wakeup(self->context);
  return TRUE;
}

gboolean unlock_stop(GstBaseSrc* src) {
  VrNiceSrc* self = self_of(src);
  GST_OBJECT_LOCK(self);
  self->flushing = FALSE;
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

GstStateChangeReturn change_state(GstElement* element, GstStateChange transition) {
  VrNiceSrc* self = self_of(element);
  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!self->agent || !self->stream || !self->component) {
        GST_ERROR_OBJECT(element, "nicesrc needs an agent, a stream and a component");
        return GST_STATE_CHANGE_FAILURE;
      }
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      // Before the task stops: no packet is delivered to a context nobody iterates.
      nice_agent_attach_recv(self->agent, self->stream, self->component, self->context, nullptr,
                             nullptr);
      break;
    default:
      break;
  }
  GstStateChangeReturn ret =
    GST_ELEMENT_CLASS(vr_nice_src_parent_class)->change_state(element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;
  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      nice_agent_attach_recv(self->agent, self->stream, self->component, self->context, &on_packet,
                             self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      clear_queue(self);
      break;
    default:
      break;
  }
  return ret;
}

void set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  VrNiceSrc* self = self_of(object);
  switch (id) {
    case PROP_AGENT:
      if (self->agent)
        GST_ERROR_OBJECT(object, "the agent of a nicesrc cannot change");
      else
        self->agent = NICE_AGENT(g_value_dup_object(value));
      break;
    case PROP_STREAM:
      self->stream = g_value_get_uint(value);
      break;
    case PROP_COMPONENT:
      self->component = g_value_get_uint(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

void get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  VrNiceSrc* self = self_of(object);
  switch (id) {
    case PROP_AGENT:
      g_value_set_object(value, self->agent);
      break;
    case PROP_STREAM:
      g_value_set_uint(value, self->stream);
      break;
    case PROP_COMPONENT:
      g_value_set_uint(value, self->component);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

void dispose(GObject* object) {
  VrNiceSrc* self = self_of(object);
  g_clear_object(&self->agent);
  G_OBJECT_CLASS(vr_nice_src_parent_class)->dispose(object);
}

void finalize(GObject* object) {
  VrNiceSrc* self = self_of(object);
  clear_queue(self);
  g_main_context_unref(self->context);
  G_OBJECT_CLASS(vr_nice_src_parent_class)->finalize(object);
}

void vr_nice_src_class_init(VrNiceSrcClass* klass) {
  auto* object_class = G_OBJECT_CLASS(klass);
  object_class->set_property = &set_property;
  object_class->get_property = &get_property;
  object_class->dispose = &dispose;
  object_class->finalize = &finalize;
  g_object_class_install_property(
    object_class, PROP_AGENT,
    g_param_spec_object("agent", "Agent", "The NiceAgent this source reads from", NICE_TYPE_AGENT,
                        GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property(
    object_class, PROP_STREAM,
    g_param_spec_uint("stream", "Stream ID", "The ID of the stream to read from", 0, G_MAXUINT, 0,
                      GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property(
    object_class, PROP_COMPONENT,
    g_param_spec_uint("component", "Component ID", "The ID of the component to read from", 0,
                      G_MAXUINT, 0, GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));

  auto* element_class = GST_ELEMENT_CLASS(klass);
  element_class->change_state = &change_state;
  static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
    element_class, "ICE source", "Source/Network",
    "Reads an ICE component of a NiceAgent, one poll per packet", "videoroom");

  GST_BASE_SRC_CLASS(klass)->unlock = &unlock;
  GST_BASE_SRC_CLASS(klass)->unlock_stop = &unlock_stop;
  GST_PUSH_SRC_CLASS(klass)->create = &create;
}

void vr_nice_src_init(VrNiceSrc* self) {
  gst_base_src_set_live(GST_BASE_SRC(self), TRUE);
  gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
  gst_base_src_set_do_timestamp(GST_BASE_SRC(self), TRUE);
  self->context = g_main_context_new();
  g_queue_init(&self->queue);
}

}  // namespace

bool replace_nicesrc() {
  static const bool replaced = [] {
    gst_object_ptr<GstPlugin> libnice{gst_plugin_load_by_name("nice")};
    return libnice &&
           gst_element_register(nullptr, "nicesrc", GST_RANK_NONE, vr_nice_src_get_type());
  }();
  return replaced;
}

}  // namespace vr::media
